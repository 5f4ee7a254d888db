"""The server-rendered pages: thin forms over the services (no browser tests this session)."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from loket.booking.models import Booking
from loket.outreach import services
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
    services.generate_occurrences(
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
    occurrence = services.generate_occurrences(
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

    day = services.create_one_off_day(
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
