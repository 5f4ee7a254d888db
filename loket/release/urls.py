from django.urls import path

from loket.release import views

app_name = "release"

urlpatterns = [
    path("<str:office_code>/<str:channel_code>/<str:date>/", views.room, name="room"),
]
