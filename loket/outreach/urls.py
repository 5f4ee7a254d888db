from django.urls import path

from loket.outreach import views

app_name = "outreach"
urlpatterns = [
    path("service-days/", views.service_days, name="service_days"),
    path("service-days/<int:pk>/book/", views.book_service_day, name="book_service_day"),
    path("eazy-passport/", views.request_form, name="request_form"),
    path("staff/requests/", views.staff_requests, name="staff_requests"),
    path("staff/requests/<str:code>/", views.staff_request, name="staff_request"),
    path("staff/teams/", views.team_calendar, name="team_calendar"),
    path("staff/service-days/<int:pk>/", views.staff_occurrence, name="staff_occurrence"),
    path("hotline/", views.hotline, name="hotline"),
    path("hotline/<int:pk>/", views.hotline_case, name="hotline_case"),
    path("staff/check-in/", views.check_in, name="check_in"),
]
