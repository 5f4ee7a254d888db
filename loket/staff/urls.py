from django.urls import path

from loket.staff import views

app_name = "staff"

urlpatterns = [
    path("", views.index, name="index"),
    path("login/", views.StaffLoginView.as_view(), name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("two-factor/", views.two_factor_setup, name="two_factor"),
    path("logout/", views.StaffLogoutView.as_view(), name="logout"),
]
