"""The staff pages and the display board: who may open what, and what each page does."""

import datetime as dt

import pytest
from django.urls import reverse

from loket.core import clock
from loket.offices.models import Office
from loket.queue import check_in, counter_actions, errors, office_setup, walk_ins
from loket.queue.models import BapCase, Counter, Ticket, TicketStatus
from loket.staff.models import StaffRole
from tests.conftest import make_nik
from tests.queue.conftest import AT_9_10, make_staff

pytestmark = pytest.mark.django_db

PASSWORD = "rahasia-staf-123"

# page name -> roles that may open it
PAGES = {
    "queue:desk": {"desk", "supervisor"},
    "queue:walk_in": {"desk", "supervisor"},
    "queue:kiosk": {"desk", "supervisor", "kiosk"},
    "queue:bap": {"counter", "supervisor"},
    "queue:counters": {"counter", "supervisor"},
    "queue:supervisor": {"supervisor", "office_admin"},
    "queue:pickup": {"desk", "counter", "supervisor"},
}


def sign_in_counter(client, number: int):
    """Sign the logged-in officer in to a counter (only they may then operate it)."""
    response = client.post(reverse("queue:counter_sign_in", args=["KRW", number]))
    assert response.status_code == 302


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def other_office(queue_office):
    office = Office.objects.create(code="PWK", name="Kantor Imigrasi Purwakarta")
    office_setup.ensure_office_queue(office=office)
    return office


@pytest.mark.parametrize("page", sorted(PAGES))
def test_anonymous_is_sent_to_the_staff_login(client, queue_office, page):
    """Without a session, a staff page redirects to /office/login/."""
    response = client.get(reverse(page, args=["KRW"]))
    assert response.status_code == 302
    assert response["Location"].startswith("/office/login/?next=")


@pytest.mark.parametrize("role", [r for r in StaffRole.values])
def test_each_role_opens_its_pages_only(client, queue_office, role):
    """Every page answers 200 to its roles and 403 to the others."""
    user = make_staff(queue_office, f"{role}@contoh.id", role)
    login(client, user)
    for page, roles in PAGES.items():
        response = client.get(reverse(page, args=["KRW"]))
        assert response.status_code == (200 if role in roles else 403), (page, role)
    counter_page = client.get(reverse("queue:counter", args=["KRW", 1]))
    assert counter_page.status_code == (200 if role in PAGES["queue:counters"] else 403)


def test_an_officer_sees_only_their_office(client, other_office, supervisor):
    """A Karawang supervisor is refused at another office's pages."""
    login(client, supervisor)
    for page in PAGES:
        assert client.get(reverse(page, args=["PWK"])).status_code == 403
    assert client.get(reverse("queue:counter", args=["PWK", 1])).status_code == 403
    assert client.get(reverse("queue:desk", args=["NOPE"])).status_code == 404


def test_login_page_logs_staff_in(client, desk):
    """The staff login form takes e-mail and password and lands on the staff index."""
    page = client.get("/office/login/")
    assert page.status_code == 200
    response = client.post("/office/login/", {"username": desk.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/office/"
    index = client.get("/office/")
    assert reverse("queue:desk", args=["KRW"]) in index.content.decode()
    client.post("/office/logout/")
    wrong = client.post("/office/login/", {"username": desk.email, "password": "salah"})
    assert wrong.status_code == 200 and "error-summary" in wrong.content.decode()


def test_desk_checks_a_booking_in(client, booking, desk):
    """Typing the application number finds the booking; the KTP's NIK checks it in."""
    with clock.frozen_at(AT_9_10):
        login(client, desk)
        found = client.get(
            reverse("queue:desk", args=["KRW"]), {"code": booking.application_number}
        )
        body = found.content.decode()
        assert "Pemohon 1" in body
        assert booking.nik not in body  # masked at the desk
        wrong = client.post(
            reverse("queue:check_in", args=["KRW"]),
            {"code": booking.code, "nik": "3215010101900009"},
        )
        assert wrong.status_code == 422
        done = client.post(
            reverse("queue:check_in", args=["KRW"]), {"code": booking.code, "nik": booking.nik}
        )
    assert done.status_code == 200
    assert "A001" in done.content.decode()
    booking.refresh_from_db()
    assert booking.status == "checked_in"


def test_desk_says_when_nothing_is_found(client, queue_office, desk):
    """An unknown code is reported beside the field."""
    login(client, desk)
    response = client.get(reverse("queue:desk", args=["KRW"]), {"code": "XYZ"})
    assert response.status_code == 200
    assert "error-summary" in response.content.decode()


def test_walk_in_page_issues_a_priority_ticket(client, queue_office, desk, now):
    """A 70-year-old gets P001; a 30-year-old without a ground is refused with the reason."""
    login(client, desk)
    url = reverse("queue:walk_in", args=["KRW"])
    assert client.get(url).status_code == 200
    ok = client.post(
        url, {"lane": "priority", "name": "Ibu Sepuh", "nik": make_nik(dt.date(1956, 3, 4))}
    )
    assert ok.status_code == 200 and "P001" in ok.content.decode()
    refused = client.post(
        url, {"lane": "priority", "name": "Muda", "nik": make_nik(dt.date(1996, 3, 4), serial=2)}
    )
    assert refused.status_code == 422
    assert "error-summary" in refused.content.decode()


def test_counter_page_calls_and_completes(client, queue_office, desk, officer, now):
    """Call next shows the ticket with the full NIK for the counter officer; complete frees it."""
    nik = make_nik(dt.date(1950, 1, 1))
    walk_ins.issue_walk_in_ticket(
        office=queue_office, lane_kind="priority", name="Pak Tua", nik=nik, officer=desk
    )
    login(client, officer)
    sign_in_counter(client, 1)
    page = client.get(reverse("queue:counter", args=["KRW", 1]))
    assert "Pak Tua" not in page.content.decode()
    called = client.post(
        reverse("queue:counter_action", args=["KRW", 1, "call"]), HTTP_HX_REQUEST="true"
    )
    body = called.content.decode()
    assert called.status_code == 200 and "P001" in body and nik in body
    assert 'id="counter-panel"' in body and "<html" not in body  # the htmx partial
    busy = client.post(
        reverse("queue:counter_action", args=["KRW", 1, "call"]), HTTP_HX_REQUEST="true"
    )
    assert "P001" in busy.content.decode() and "notice--error" in busy.content.decode()
    done = client.post(reverse("queue:counter_action", args=["KRW", 1, "complete"]))
    assert done.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.status == TicketStatus.WAITING and ticket.stage.code == "photo_interview"
    assert client.post(reverse("queue:counter_action", args=["KRW", 1, "fly"])).status_code == 404


def test_supervisor_sees_the_nik_masked_on_a_counter(client, queue_office, desk, supervisor, now):
    """Only the counter role sees the full NIK."""
    nik = make_nik(dt.date(1950, 1, 1))
    walk_ins.issue_walk_in_ticket(
        office=queue_office, lane_kind="priority", name="Pak Tua", nik=nik, officer=desk
    )
    counter_actions.call_next_ticket(counter=Counter.objects.get(number=1), officer=supervisor)
    login(client, supervisor)
    body = client.get(reverse("queue:counter", args=["KRW", 1])).content.decode()
    assert "Pak Tua" in body and nik not in body and "3215**********01" in body


def test_park_and_return_from_the_counter_page(client, queue_office, desk, officer, now):
    """A parked ticket is listed and goes back in the queue with one click."""
    ticket = walk_ins.issue_walk_in_ticket(
        office=queue_office,
        lane_kind="priority",
        name="Pak",
        nik=make_nik(dt.date(1950, 1, 1)),
        officer=desk,
    )
    login(client, officer)
    sign_in_counter(client, 1)
    client.post(reverse("queue:counter_action", args=["KRW", 1, "call"]))
    client.post(reverse("queue:counter_action", args=["KRW", 1, "park"]))
    page = client.get(reverse("queue:counter", args=["KRW", 1])).content.decode()
    assert "P001" in page
    back = client.post(
        reverse("queue:return_ticket", args=["KRW", ticket.pk]),
        {"next": reverse("queue:counter", args=["KRW", 1])},
    )
    assert back.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING


def test_supervisor_page_shows_the_floor(client, queue_office, desk, supervisor, now):
    """Waiting per stage, counters and the priority quota use."""
    walk_ins.issue_walk_in_ticket(
        office=queue_office,
        lane_kind="priority",
        name="Pak",
        nik=make_nik(dt.date(1950, 1, 1)),
        officer=desk,
    )
    login(client, supervisor)
    page = client.get(reverse("queue:supervisor", args=["KRW"]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Layanan prioritas" in body and "Pemeriksaan berkas" in body
    partial = client.get(reverse("queue:supervisor", args=["KRW"]), HTTP_HX_REQUEST="true")
    assert 'id="floor"' in partial.content.decode() and "<html" not in partial.content.decode()


def test_board_shows_calls_without_personal_data(client, queue_office, desk, officer, now):
    """The board is public and shows numbers and counters only, never names or NIKs."""
    nik = make_nik(dt.date(1950, 1, 1))
    walk_ins.issue_walk_in_ticket(
        office=queue_office, lane_kind="priority", name="Pak Rahasia", nik=nik, officer=desk
    )
    counter_actions.call_next_ticket(counter=Counter.objects.get(number=2), officer=officer)
    counter_actions.recall_ticket(counter=Counter.objects.get(number=2), officer=officer)
    page = client.get(reverse("queue:board", args=["KRW"]))
    data = client.get(reverse("queue:board_data", args=["KRW"])).json()
    for body in (page.content.decode(), str(data)):
        assert "Pak Rahasia" not in body and nik not in body
    assert "P001" in page.content.decode()
    assert data["calls"][0]["ticket"] == "P001" and data["calls"][0]["counter"] == 2
    assert data["calls"][0]["recall"] is True
    assert data["calls"][0]["spoken"] == "P nol nol satu"
    assert data["calls"][0]["id"] > data["calls"][1]["id"]
    assert {w["lane"]: w["count"] for w in data["waiting"]}["P"] == 0
    assert client.get(reverse("queue:board_data", args=["XX"])).status_code == 404


def test_pickup_page_hands_a_passport_over(client, booking, desk, officer):
    """After the interview, the passport is listed and handed over on its ready date."""
    with clock.frozen_at(AT_9_10):
        check_in.check_in_booking(
            office=booking.office, code=booking.code, confirmed_nik=booking.nik, officer=desk
        )
        for number in (1, 3):
            c = Counter.objects.get(number=number)
            counter_actions.call_next_ticket(counter=c, officer=officer)
            counter_actions.complete_ticket(counter=c, officer=officer)
    login(client, desk)
    url = reverse("queue:pickup", args=["KRW"])
    assert "Pemohon 1" in client.get(url).content.decode()
    issuance = booking.ticket.issuance
    with clock.frozen_at(AT_9_10 + dt.timedelta(days=6)):
        login(client, desk)  # six days later: a new session (staff sessions time out)
        response = client.post(url, {"issuance": issuance.pk, "picked_up_by": "applicant"})
    assert response.status_code == 302
    issuance.refresh_from_db()
    assert issuance.picked_up_by == "applicant"


def test_supervisor_releases_unclaimed_priority_places(client, queue_office, supervisor, now):
    """The button moves the day's unclaimed priority places and says how many."""
    from loket.offices.models import Channel
    from loket.queue.models import QueueSettings

    QueueSettings.objects.filter(office=queue_office).update(
        priority_release_at=dt.time(8, 0),
        priority_release_to=Channel.objects.get(office=queue_office, code="lost-damaged"),
    )
    login(client, supervisor)
    page = client.get(reverse("queue:supervisor", args=["KRW"])).content.decode()
    assert reverse("queue:release_priority", args=["KRW"]) in page
    response = client.post(reverse("queue:release_priority", args=["KRW"]), follow=True)
    assert "20" in response.content.decode()


def test_releasing_priority_places_to_the_priority_channel_itself_is_a_clear_refusal(
    client, queue_office, supervisor, now
):
    """A release configured into the priority channel itself (the admin allows it): the
    supervisor is told, no 500, and no place moves."""
    from loket.capacity.models import ChannelMove
    from loket.offices.models import Channel
    from loket.queue.models import QueueSettings

    QueueSettings.objects.filter(office=queue_office).update(
        priority_release_at=dt.time(8, 0),
        priority_release_to=Channel.objects.get(office=queue_office, code="priority"),
    )
    login(client, supervisor)
    response = client.post(reverse("queue:release_priority", args=["KRW"]), follow=True)
    assert response.status_code == 200
    assert "another channel of the same office" in response.content.decode()
    assert not ChannelMove.objects.exists()


def test_staff_menu_shows_only_the_pages_of_the_role(client, queue_office, desk):
    """The desk officer's menu has check-in and walk-in, not counters or the supervisor."""
    login(client, desk)
    body = client.get(reverse("queue:desk", args=["KRW"])).content.decode()
    assert reverse("queue:walk_in", args=["KRW"]) in body
    assert reverse("queue:counters", args=["KRW"]) not in body
    assert reverse("queue:supervisor", args=["KRW"]) not in body


def test_quota_use_before_any_walk_in(queue_office, now):
    """Before anyone takes a place, the day's configured quotas show with nothing used."""
    from loket.queue.selectors import list_quota_use

    quotas = {
        q.name: (q.used, q.capacity) for q in list_quota_use(office=queue_office, day=now.date())
    }
    assert quotas["Layanan prioritas"] == (0, 20)
    assert quotas["Paspor hilang/rusak"] == (0, 10)
    assert "Eazy Passport" not in quotas  # no places today


def test_check_in_with_a_tampered_code_goes_back_to_the_desk(client, queue_office, desk):
    """A posted code that finds no booking returns to the desk with the message."""
    login(client, desk)
    response = client.post(
        reverse("queue:check_in", args=["KRW"]), {"code": "NOPE", "nik": "1"}, follow=True
    )
    assert response.status_code == 200
    assert "notice--error" in response.content.decode()


def test_bap_set_at_the_counter_and_approved_on_the_bap_page(
    client, queue_office, desk, officer, now
):
    """The counter sets the BAP date; on that day the BAP page approves it with the photo day."""
    walk_ins.issue_walk_in_ticket(
        office=queue_office,
        lane_kind="lost_damaged",
        name="Hilang Paspor",
        nik=make_nik(dt.date(1990, 1, 1)),
        officer=desk,
    )
    login(client, officer)
    sign_in_counter(client, 1)
    client.post(reverse("queue:counter_action", args=["KRW", 1, "call"]))
    page = client.get(reverse("queue:counter", args=["KRW", 1])).content.decode()
    assert 'name="bap_date"' in page
    set_bap = client.post(
        reverse("queue:counter_action", args=["KRW", 1, "bap"]),
        {"bap_date": "2026-12-03"},
        HTTP_HX_REQUEST="true",
    )
    assert "03-12-2026" in set_bap.content.decode()
    bad = client.post(
        reverse("queue:counter_action", args=["KRW", 1, "bap"]),
        {"bap_date": "x"},
        HTTP_HX_REQUEST="true",
    )
    assert "notice--error" in bad.content.decode()
    with clock.frozen_at(AT_9_10):
        login(client, officer)  # days later: a new session (staff sessions time out)
        listing = client.get(reverse("queue:bap", args=["KRW"])).content.decode()
        assert "Hilang Paspor" in listing
        approved = client.post(
            reverse("queue:bap", args=["KRW"]), {"case": BapCase.objects.get().pk}, follow=True
        )
    assert "08-12-2026" in approved.content.decode()
    login(client, desk)
    assert client.get(reverse("queue:bap", args=["KRW"])).status_code == 403


@pytest.fixture
def kiosk(queue_office):
    return make_staff(queue_office, "kiosk@contoh.id", StaffRole.KIOSK)


def test_kiosk_check_in_by_the_applicant(client, booking, kiosk):
    """At the kiosk, the application number and the NIK give the queue number, shown big."""
    login(client, kiosk)
    url = reverse("queue:kiosk", args=["KRW"])
    with clock.frozen_at(AT_9_10):
        page = client.get(url)
        assert page.status_code == 200
        done = client.post(url, {"code": booking.application_number, "nik": booking.nik})
    html = done.content.decode()
    assert done.status_code == 200 and "ticket-number--kiosk" in html and "A001" in html
    assert booking.applicant.name not in html and booking.nik not in html
    ticket = Ticket.objects.get(booking=booking)
    assert ticket.officer is None and ticket.events.get(kind="issued").officer == kiosk


def test_kiosk_says_nothing_about_a_booking_without_its_nik(client, booking, kiosk, now):
    """A wrong NIK and an unknown number get the same answer; the booking's date, name and
    status stay hidden, and the attempt is in the audit trail."""
    from loket.core.models import AuditEvent

    login(client, kiosk)
    url = reverse("queue:kiosk", args=["KRW"])
    # the day before the booking: with the right NIK the kiosk would say "not today"
    wrong = client.post(url, {"code": booking.application_number, "nik": "3215010101900009"})
    unknown = client.post(url, {"code": "X" * 10, "nik": booking.nik})
    assert wrong.status_code == unknown.status_code == 422
    message = str(errors.KioskNoMatch.message)
    for response in (wrong, unknown):
        html = response.content.decode()
        assert message in html and "03-12-2026" not in html
        assert booking.applicant.name not in html
        assert booking.application_number not in html  # the fields start empty again
    assert AuditEvent.objects.filter(action="kiosk.nik_mismatch").count() == 1
    right = client.post(url, {"code": booking.application_number, "nik": booking.nik})
    assert right.status_code == 409 and "03-12-2026" in right.content.decode()
    assert not Ticket.objects.exists()


def test_the_kiosk_account_opens_nothing_else(client, queue_office, kiosk):
    """The kiosk page has no staff menu; the kiosk account is refused every other staff page,
    and its start page is the kiosk."""
    login(client, kiosk)
    html = client.get(reverse("queue:kiosk", args=["KRW"])).content.decode()
    assert 'aria-label="Staff pages"' not in html and "kiosk@contoh.id" not in html
    assert client.get(reverse("staff:index"))["Location"] == reverse("queue:kiosk", args=["KRW"])
    for name in ("queue:desk", "queue:walk_in", "queue:counters", "queue:supervisor"):
        assert client.get(reverse(name, args=["KRW"])).status_code == 403
    assert client.post(reverse("queue:counter_action", args=["KRW", 1, "call"])).status_code == 403


def test_the_kiosk_slows_down_guessing(client, booking, kiosk, settings):
    """More than the kiosk's rate of tries a minute is refused for a while (429)."""
    from django.core.cache import cache

    cache.clear()
    settings.LOKET_RATE_LIMITS_ENABLED = True
    settings.LOKET_RATE_LIMITS = {**settings.LOKET_RATE_LIMITS, "queue_kiosk": "3/m"}
    login(client, kiosk)
    url = reverse("queue:kiosk", args=["KRW"])
    codes = [
        client.post(
            url, {"code": booking.application_number, "nik": f"321501010190{i:04d}"}
        ).status_code
        for i in range(4)
    ]
    assert codes == [422, 422, 422, 429]


def test_board_data_costs_the_same_few_queries_however_busy(
    client, queue_office, supervisor, officer, now, django_assert_max_num_queries
):
    """Every TV polls each second: the board answers in a fixed handful of queries."""
    from loket.queue.selectors import board_state

    for i in range(6):
        walk_ins.issue_walk_in_ticket(
            office=queue_office,
            lane_kind="emergency",
            name=f"D {i}",
            nik=make_nik(dt.date(1990, 1, 1), serial=i + 1),
            officer=supervisor,
        )
    for number in (1, 2):
        counter_actions.call_next_ticket(
            counter=Counter.objects.get(number=number), officer=officer
        )
    with django_assert_max_num_queries(3):
        state = board_state(office=queue_office)
    assert len(state["calls"]) == 2


def test_no_show_is_disabled_until_the_recalls_are_made(client, queue_office, desk, officer, now):
    """ "Did not come" is shown disabled, with how many calls remain, until it is allowed."""
    needed = office_setup.get_queue_settings(queue_office).recalls_before_no_show
    assert needed >= 1
    walk_ins.issue_walk_in_ticket(
        office=queue_office,
        lane_kind="priority",
        name="Pak Tua",
        nik=make_nik(dt.date(1950, 1, 1)),
        officer=desk,
    )
    login(client, officer)
    sign_in_counter(client, 1)
    url = reverse("queue:counter_action", args=["KRW", 1, "call"])
    body = client.post(url, HTTP_HX_REQUEST="true").content.decode()
    no_show = body.split("Did not come (no-show)")[0].rsplit("<button", 1)[1]
    assert "disabled" in no_show and "more call" in body
    for _ in range(needed):
        counter_actions.recall_ticket(counter=Counter.objects.get(number=1), officer=officer)
    body = client.get(reverse("queue:counter", args=["KRW", 1]), HTTP_HX_REQUEST="true")
    no_show = body.content.decode().split("Did not come (no-show)")[0].rsplit("<button", 1)[1]
    assert "disabled" not in no_show
