from django.urls import path

from loket.queue import refunds, views

app_name = "queue"

urlpatterns = [
    path("<str:office_code>/desk/", views.desk, name="desk"),
    path("<str:office_code>/desk/check-in/", views.check_in, name="check_in"),
    path("<str:office_code>/desk/release-nik/", views.release_nik, name="release_nik"),
    path("<str:office_code>/kiosk/", views.kiosk, name="kiosk"),
    path("<str:office_code>/walk-in/", views.walk_in, name="walk_in"),
    path("<str:office_code>/counters/", views.counters, name="counters"),
    path("<str:office_code>/counters/<int:number>/", views.counter_page, name="counter"),
    path(
        "<str:office_code>/counters/<int:number>/sign-in/",
        views.counter_sign_in_view,
        name="counter_sign_in",
    ),
    path(
        "<str:office_code>/counters/<int:number>/sign-out/",
        views.counter_sign_out_view,
        name="counter_sign_out",
    ),
    path(
        "<str:office_code>/counters/<int:number>/<slug:action>/",
        views.counter_action,
        name="counter_action",
    ),
    path(
        "<str:office_code>/tickets/<int:ticket_id>/return/",
        views.return_ticket,
        name="return_ticket",
    ),
    path("<str:office_code>/supervisor/", views.supervisor, name="supervisor"),
    path(
        "<str:office_code>/supervisor/release-priority/",
        views.release_priority,
        name="release_priority",
    ),
    path("<str:office_code>/ledger/", views.ledger, name="ledger"),
    path("<str:office_code>/refunds/", refunds.refunds_page, name="refunds"),
    path("<str:office_code>/bap/", views.bap_cases, name="bap"),
    path("<str:office_code>/pickup/", views.pickup, name="pickup"),
    path("<str:office_code>/board/", views.board, name="board"),
    path("<str:office_code>/board/data/", views.board_data, name="board_data"),
]
