"""Eazy Passport in the browser: a campus in Karawang asks for a visit with its participant
list; the outreach coordinator approves it on a free team-day; the campus is told by e-mail
and every participant holds a place in the ledger."""

import datetime as dt

import pytest

from loket.accounts.services import create_verified_account
from loket.capacity.integrity import find_drift
from loket.capacity.models import CapacitySlot
from loket.notifications.models import OutboxMessage
from loket.outreach import eazy_passport, planning
from loket.outreach.models import OutreachRequest, RequestStatus
from loket.queue.models import StaffRole
from loket.queue.staff_roles import grant_role
from tests.outreach.test_participant_file import HEADER, person

pytestmark = pytest.mark.django_db(transaction=True)

PARTICIPANTS = 22
FIRST_CHOICE = dt.date(2026, 12, 15)  # the team is busy that day
FREE_DAY = dt.date(2026, 12, 16)
COORDINATOR = ("koordinator@contoh.id", "koordinator-rahasia-2026")


@pytest.fixture
def team(office):
    return planning.create_team(office=office, name="Tim Eazy Passport", size=3)


@pytest.fixture
def coordinator(office):
    user = create_verified_account(email=COORDINATOR[0], password=COORDINATOR[1])
    grant_role(user=user, office=office, role=StaffRole.OUTREACH)
    return user


@pytest.fixture
def busy_first_choice(office, team, coordinator):
    """Another campus already has the team on the first preferred day."""
    other = eazy_passport.submit_outreach_request(
        office=office,
        data=eazy_passport.RequestData(
            organisation="Politeknik Karawang",
            contact_person="Pak Andi",
            email="humas@polka.ac.id",
            phone="0267111222",
            location="Kampus Politeknik, Karawang Barat",
            regency="3215",
            preferred_dates=[FIRST_CHOICE],
            expected_applicants=20,
        ),
        participants_file=(HEADER + "".join(person(i) for i in range(50, 70))).encode(),
    )
    return eazy_passport.approve_outreach_request(
        request=other, visit_date=FIRST_CHOICE, team=team, actor=coordinator
    )


def submit(page, button) -> None:
    """Press the button from the keyboard and wait for the answer page."""
    with page.expect_navigation():
        button.focus()
        page.keyboard.press("Enter")


def participant_csv() -> bytes:
    return (HEADER + "".join(person(i) for i in range(1, PARTICIPANTS + 1))).encode()


def test_a_campus_request_is_approved_on_a_free_team_day(
    page, shoot, office, team, coordinator, busy_first_choice
):
    csp_reports = []
    page.on(
        "console",
        lambda m: csp_reports.append(m.text) if "Content Security Policy" in m.text else None,
    )
    # The institution: the public form, in Bahasa Indonesia, on a phone.
    page.goto("/outreach/eazy-passport/?office=KRW")
    page.fill("#id_organisation", "Universitas Singaperbangsa Karawang")
    page.fill("#id_contact_person", "Dr. Rina Marlina")
    page.fill("#id_email", "humas@unsika.ac.id")
    page.fill("#id_phone", "0267 641177")
    page.fill("#id_location", "Kampus Unsika, Jl. HS. Ronggo Waluyo, Telukjambe Timur")
    page.select_option("#id_regency", "3215")
    page.fill("#id_date_1", FIRST_CHOICE.isoformat())
    page.fill("#id_date_2", FREE_DAY.isoformat())
    page.fill("#id_expected_applicants", str(PARTICIPANTS))
    page.set_input_files(
        "#id_participants",
        {"name": "peserta-unsika.csv", "mimeType": "text/csv", "buffer": participant_csv()},
    )
    shoot(page, "outreach-01-request-form")
    submit(page, page.locator("main form button[type=submit]"))
    request = OutreachRequest.objects.get(organisation="Universitas Singaperbangsa Karawang")
    assert request.code in page.locator("main").inner_text()
    assert request.participants.count() == PARTICIPANTS

    # The coordinator logs in and reviews it: the team calendar shows the busy first choice.
    review = f"/outreach/staff/requests/{request.code}/"
    page.goto(review)
    page.wait_for_url("**/office/login/**")
    page.fill("#id_username", COORDINATOR[0])
    page.fill("#id_password", COORDINATOR[1])
    submit(page, page.locator("main form button[type=submit]"))
    page.wait_for_url(f"**{review}")
    assert busy_first_choice.code in page.locator(".cal").inner_text()

    # Approving on the busy day is refused with the clash named; the free day is accepted.
    approve = page.locator("form:has(input[name=action][value=approve])")
    approve.locator("[name=approve-visit_date]").fill(FIRST_CHOICE.isoformat())
    approve.locator("[name=approve-team]").select_option(str(team.pk))
    submit(page, approve.locator("button[type=submit]"))
    assert "Politeknik Karawang" in page.locator(".error-summary").inner_text()
    approve = page.locator("form:has(input[name=action][value=approve])")
    approve.locator("[name=approve-visit_date]").fill(FREE_DAY.isoformat())
    approve.locator("[name=approve-team]").select_option(str(team.pk))
    submit(page, approve.locator("button[type=submit]"))
    page.wait_for_url(f"**{review}")
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED and request.visit_date == FREE_DAY
    shoot(page, "outreach-02-review-approved")

    # The campus is told by e-mail, with every participant's code.
    mail = OutboxMessage.objects.get(
        recipient="humas@unsika.ac.id", dedupe_key=f"outreach-approved:{request.code}"
    )
    assert request.code in mail.subject and "16-12-2026" in mail.subject
    codes = list(request.participants.values_list("code", flat=True))
    assert all(code and code in mail.body for code in codes)
    # Each participant holds one place of the outreach channel that day, and the ledger agrees.
    slots = CapacitySlot.objects.filter(channel__code="outreach", date=FREE_DAY)
    assert sum(s.used for s in slots) == PARTICIPANTS
    assert request.participants.filter(slot__in=slots).count() == PARTICIPANTS
    assert find_drift() == []
    assert csp_reports == []  # no inline style or script on these pages
