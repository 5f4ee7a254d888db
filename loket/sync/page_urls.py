from django.urls import path

from loket.sync import pages

app_name = "sync"

urlpatterns = [
    path("<str:office_code>/flags/", pages.flags, name="flags"),
]
