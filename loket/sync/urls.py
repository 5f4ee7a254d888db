from django.urls import path

from loket.sync import views

# Unnamed on purpose: these answer office nodes only (office key), never a person.
urlpatterns = [
    path("<str:office_code>/snapshot", views.snapshot),
    path("<str:office_code>/changes", views.changes),
    path("<str:office_code>/push", views.push),
]
