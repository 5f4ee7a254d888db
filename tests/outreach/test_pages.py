"""The server-rendered pages: thin forms over the services (no browser tests this session)."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from loket.booking.models import Booking
from loket.outreach import eazy_passport, service_days
from loket.outreach import hotline as outreach_hotline
from loket.outreach.models import EmergencyCase, OutreachRequest
from tests.conftest import make_nik
from tests.outreach.test_participant_file import HEADER, person


def csv_file(n: int, extra: str = "") -> SimpleUploadedFile:
    body = HEADER + "".join(person(i) for i in range(1, n + 1)) + extra
    return SimpleUploadedFile("peserta.csv", body.encode(), "text/csv")


REQUEST_FORM = {
    "office": "KRW",
    "organisation": "Universitas Singaperbangsa Karawang",
    "contact_person": "Dr. Rina",
    "email": "humas@unsika.ac.id",
    "phone": "0267123456",
    "location": "Kampus Telukjambe",
    "regency": "3215",
    "date_1": "2026-12-15",
    "expected_applicants": "20",
}


def test_staff_pages_need_a_login_and_the_permission(client, office, account):
    url = reverse("outreach:staff_requests")
    assert client.get(url).status_code == 302
    client.force_login(account)
    assert client.get(url).status_code == 403
    assert client.get(reverse("outreach:hotline")).status_code == 403


def test_an_institution_sends_a_request_and_a_coordinator_approves_it(
    client, office, coordinator, team
):
    page = client.get(reverse("outreach:request_form"))
    assert page.status_code == 200 and "Kab. Karawang" in page.content.decode()
    bad = client.post(
        reverse("outreach:request_form"),
        {**REQUEST_FORM, "participants": csv_file(19, "12345,Pendek,2001-08-17,new\n")},
    )
    text = bad.content.decode()
    assert bad.status_code == 200 and 'class="error-summary"' in text
    assert "row 21, nik" in text  # the bad row and field are named
    assert OutreachRequest.objects.count() == 0
    sent = client.post(
        reverse("outreach:request_form"), {**REQUEST_FORM, "participants": csv_file(20)}
    )
    r = OutreachRequest.objects.get()
    assert r.code in sent.content.decode()

    client.force_login(coordinator)
    detail = reverse("outreach:staff_request", args=[r.code])
    assert client.get(detail).status_code == 200
    done = client.post(
        detail,
        {"action": "approve", "approve-visit_date": "2026-12-15", "approve-team": team.pk},
    )
    assert done.status_code == 302
    r.refresh_from_db()
    assert r.status == "approved" and r.participants.filter(code__isnull=False).count() == 20
    calendar = client.get(reverse("outreach:team_calendar"))
    assert r.code in calendar.content.decode()


def test_an_applicant_books_a_paten_day_on_the_page(client, office, paten_rule, account):
    service_days.generate_occurrences(
        rule=paten_rule, start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 12)
    )
    client.force_login(account)
    listing = client.get(reverse("outreach:service_days"))
    assert "Kecamatan Telukjambe Timur" in listing.content.decode()
    occurrence = paten_rule.occurrences.order_by("date").first()
    url = reverse("outreach:book_service_day", args=[occurrence.pk])
    assert client.get(url).status_code == 200
    birth = dt.date(1992, 8, 3)
    response = client.post(
        url,
        {
            "application_type": "new",
            "nik": make_nik(birth, "F", serial=2),
            "name": "Siti",
            "birth_date": birth.isoformat(),
            "sex": "F",
            "phone": "081234567890",
            "domicile_regency": "3215",
            "purpose": "tourism",
            "passport_type": "ordinary",
        },
    )
    booking = Booking.objects.get()
    assert booking.code in response.content.decode()
    assert booking.date == occurrence.date and booking.channel.code == "paten"


def test_hotline_officer_records_and_supervisor_overrides_with_a_reason(
    client, office, hotline, supervisor
):
    client.force_login(hotline)
    response = client.post(
        reverse("outreach:hotline"),
        {
            "office": "KRW",
            "caller_name": "Ibu Sari",
            "caller_phone": "081298765432",
            "nik": make_nik(dt.date(1980, 4, 2), district="327301"),
            "applicant_name": "Pak Darto",
            "domicile_regency": "3273",
            "reason": "serious_illness",
            "notes": "",
        },
    )
    case = EmergencyCase.objects.get()
    assert response.status_code == 302 and not case.in_working_area
    page = client.get(reverse("outreach:hotline_case", args=[case.pk]))
    assert "<form" not in page.content.decode().split("<main>")[1]  # officer cannot decide
    client.force_login(supervisor)
    url = reverse("outreach:hotline_case", args=[case.pk])
    refused = client.post(
        url, {"decision": "approve", "service_date": "2026-12-01", "reason": "Darurat"}
    )
    assert refused.status_code == 200
    case.refresh_from_db()
    assert case.status == "recorded"
    client.post(
        url,
        {
            "decision": "approve",
            "service_date": "2026-12-01",
            "reason": "Darurat",
            "area_override": "on",
            "override_reason": "Rumah sakit rujukan di Karawang",
        },
    )
    case.refresh_from_db()
    assert case.status == "approved" and case.area_override


def test_a_coordinator_cancels_a_day_from_its_page(client, paten_rule, coordinator):
    occurrence = service_days.generate_occurrences(
        rule=paten_rule, start=dt.date(2026, 12, 4), end=dt.date(2026, 12, 4)
    )[0]
    client.force_login(coordinator)
    url = reverse("outreach:staff_occurrence", args=[occurrence.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"action": "cancel", "cancel-reason": "Banjir"})
    occurrence.refresh_from_db()
    assert occurrence.status == "cancelled"


def test_the_simpatik_desk_admits_walk_ins_but_cannot_cancel_the_day(
    client, office, simpatik, desk
):
    from loket.core import clock

    day = service_days.create_one_off_day(
        office=office,
        channel=simpatik,
        name="Paspor Simpatik",
        day=dt.date(2026, 12, 5),
        location="Kantor",
        quota=30,
    )
    url = reverse("outreach:staff_occurrence", args=[day.pk])
    with clock.frozen_at(dt.datetime(2026, 12, 5, 8, 0, tzinfo=dt.UTC)):
        client.force_login(desk)  # on that day (staff sessions time out)
        page = client.get(url).content.decode()
        assert 'value="walk_in"' in page and 'value="cancel"' not in page
        admitted = client.post(url, {"action": "walk_in", "walk_in-name": "Ani"})
        assert "Ani" in admitted.content.decode()
        assert "A001" in admitted.content.decode()  # the walk-in's first-stage queue ticket
        client.post(url, {"action": "cancel", "cancel-reason": "x"})
    day.refresh_from_db()
    assert day.status == "scheduled" and day.admissions.count() == 1


def test_the_decision_form_prefills_the_day_in_iso_and_labels_it_in_indonesian(
    office, hotline, supervisor
):
    """In Bahasa Indonesia the service day is prefilled as YYYY-MM-DD (what a date picker
    accepts, not 01/12/2026), and the decision's label is Indonesian."""
    from django.conf import settings
    from django.test import Client

    case = outreach_hotline.record_emergency_case(
        office=office,
        actor=hotline,
        caller_name="Ibu Sari",
        caller_phone="081298765432",
        nik=make_nik(dt.date(1980, 4, 2)),
        applicant_name="Pak Darto",
        domicile_regency="3215",
        reason="serious_illness",
    )
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    client.force_login(supervisor)
    page = client.get(reverse("outreach:hotline_case", args=[case.pk])).content.decode()
    assert 'type="date" name="service_date" value="2026-12-01"' in page
    assert "Keputusan" in page and ">Decision<" not in page


def test_a_full_walk_in_day_says_so_not_choose_another_window(client, office, simpatik, desk):
    """The last walk-in place taken, the next person is told the day is full (a walk-in day
    has no windows to choose from)."""
    from loket.core import clock

    day = service_days.create_one_off_day(
        office=office,
        channel=simpatik,
        name="Paspor Simpatik",
        day=dt.date(2026, 12, 5),
        location="Kantor",
        quota=1,
    )
    url = reverse("outreach:staff_occurrence", args=[day.pk])
    with clock.frozen_at(dt.datetime(2026, 12, 5, 8, 0, tzinfo=dt.UTC)):
        client.force_login(desk)  # staff sessions end after idle time: log in on the day
        client.post(url, {"action": "walk_in", "walk_in-name": "Ani"})
        page = client.post(url, {"action": "walk_in", "walk_in-name": "Budi"}).content.decode()
    assert "All walk-in places of this day are taken" in page
    assert "window" not in page.split("<main", 1)[1].lower()
    assert day.admissions.count() == 1


def test_the_team_calendar_pages_by_weeks_in_indonesian(coordinator):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    client.force_login(coordinator)
    page = client.get(reverse("outreach:team_calendar")).content.decode()
    assert "Minggu berikutnya" in page and "Minggu sebelumnya" in page
    assert ">Belum<" not in page


def test_a_visit_on_a_sunday_warns_before_it_is_approved(client, office, coordinator, team):
    """13 December 2026 is a Sunday: the first approval is held back with a warning and a box
    to tick; ticked, the visit is approved."""
    from tests.outreach.test_requests import csv_of, data

    r = eazy_passport.submit_outreach_request(
        office=office,
        data=data(preferred_dates=[dt.date(2026, 12, 13)]),
        participants_file=csv_of(25),
    )
    client.force_login(coordinator)
    detail = reverse("outreach:staff_request", args=[r.code])
    form = {"action": "approve", "approve-visit_date": "2026-12-13", "approve-team": team.pk}
    warned = client.post(detail, form)
    assert warned.status_code == 200
    html = warned.content.decode()
    assert "is a Sunday" in html and 'type="checkbox" name="approve-sunday_confirmed"' in html
    r.refresh_from_db()
    assert r.status != "approved"
    done = client.post(detail, {**form, "approve-sunday_confirmed": "on"})
    assert done.status_code == 302
    r.refresh_from_db()
    assert r.status == "approved"


def test_an_emergency_on_a_sunday_warns_before_it_is_approved(client, office, hotline, supervisor):
    case = outreach_hotline.record_emergency_case(
        office=office,
        actor=hotline,
        caller_name="Ibu Sari",
        caller_phone="081298765432",
        nik=make_nik(dt.date(1980, 4, 2)),
        applicant_name="Pak Darto",
        domicile_regency="3215",
        reason="serious_illness",
    )
    client.force_login(supervisor)
    url = reverse("outreach:hotline_case", args=[case.pk])
    form = {"decision": "approve", "service_date": "2026-12-06", "reason": "Operasi"}
    html = client.post(url, form).content.decode()
    assert "is a Sunday" in html
    case.refresh_from_db()
    assert case.status == "recorded"
    assert client.post(url, {**form, "sunday_confirmed": "on"}).status_code == 302
    case.refresh_from_db()
    assert case.status == "approved" and case.service_date == dt.date(2026, 12, 6)


def test_the_service_day_list_is_public_like_the_api(client, office, paten_rule):
    service_days.generate_occurrences(
        rule=paten_rule, start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 12)
    )
    page = client.get(reverse("outreach:service_days"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Kecamatan Telukjambe Timur" in html and "Log in to book a place" in html
