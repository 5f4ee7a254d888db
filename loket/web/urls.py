from django.urls import include, path

from loket.web.views import accounts, booking, home, waitlist

app_name = "web"

urlpatterns = [
    path("", home.home, name="home"),
    # Browsers ask for /favicon.ico on every page that names no icon (staff pages, the admin).
    path("favicon.ico", home.favicon, name="favicon"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Accounts
    path("accounts/register/", accounts.register, name="register"),
    path("accounts/verify/", accounts.verify, name="verify"),
    path("accounts/verify/resend/", accounts.resend_code, name="resend_code"),
    path("accounts/login/", accounts.LoginView.as_view(), name="login"),
    path("accounts/logout/", accounts.LogoutView.as_view(), name="logout"),
    path("accounts/password-reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password-reset/sent/",
        accounts.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        accounts.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/close/", accounts.close_account, name="close_account"),
    path("accounts/family/", accounts.applicants, name="applicants"),
    path("accounts/family/add/", accounts.applicant_add, name="applicant_add"),
    path("accounts/family/<int:pk>/", accounts.applicant_edit, name="applicant_edit"),
    path("accounts/family/<int:pk>/remove/", accounts.applicant_remove, name="applicant_remove"),
    path("accounts/family/check-nik/", accounts.check_nik, name="check_nik"),
    path("accounts/family/check-regency/", accounts.check_regency, name="check_regency"),
    # Booking journey
    path("book/", booking.choose_office, name="choose_office"),
    path("book/check/", booking.check, name="check"),
    path("book/<str:office_code>/", booking.choose_channel, name="choose_channel"),
    path("book/<str:office_code>/<slug:channel_code>/", booking.calendar, name="calendar"),
    path("book/<str:office_code>/<slug:channel_code>/<str:date>/", booking.day, name="day"),
    # Before the window pattern, which would take "waitlist" for a window.
    path(
        "book/<str:office_code>/<slug:channel_code>/<str:date>/waitlist/",
        waitlist.join,
        name="waitlist_join",
    ),
    path(
        "book/<str:office_code>/<slug:channel_code>/<str:date>/<str:window>/",
        booking.details,
        name="details",
    ),
    # The account's bookings
    path("bookings/", booking.my_bookings, name="my_bookings"),
    path("bookings/<str:code>/", booking.booking_detail, name="booking"),
    path("bookings/<str:code>/pay/", booking.pay, name="pay"),
    path("bookings/<str:code>/pay/status/", booking.payment_status, name="payment_status"),
    path("bookings/<str:code>/pay/simulate/", booking.simulate_payment, name="simulate_payment"),
    path("bookings/<str:code>/proof/", booking.proof, name="proof"),
    path("bookings/<str:code>/cancel/", booking.cancel, name="cancel"),
    path("bookings/<str:code>/reschedule/", booking.reschedule, name="reschedule"),
    path(
        "bookings/<str:code>/reschedule/<str:date>/",
        booking.reschedule_day,
        name="reschedule_day",
    ),
    path("waitlist/<int:entry_id>/accept/", waitlist.accept, name="waitlist_accept"),
    path("waitlist/<int:entry_id>/decline/", waitlist.decline, name="waitlist_decline"),
    path("waitlist/<int:entry_id>/leave/", waitlist.leave, name="waitlist_leave"),
]
