from django.urls import path

from loket.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("monthly/", views.monthly, name="monthly"),
    path("planner/", views.planner_page, name="planner"),
    path("export/<slug:key>.<str:fmt>", views.export, name="export"),
]
