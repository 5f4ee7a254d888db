"""The fair release's waiting room on the applicant website, under /release/ (namespace
`release`, as the links expect)."""

from django.urls import path

from loket.web.views import release

app_name = "release"

urlpatterns = [
    path("<str:office_code>/<str:channel_code>/<str:date>/", release.room, name="room"),
]
