"""Retention over every record holding personal data: queue tickets, passport pickups,
Simpatik walk-ins, Eazy Passport participants and contacts, emergency cases, waiting-list
entries and sent outbox messages are anonymised a configurable time after their case closed,
and every figure of the reports (and their CSV/XLSX exports) stays exactly the same."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from loket.accounts.models import Applicant
from loket.booking.services import cancel_booking
from loket.capacity.integrity import find_drift
from loket.core import clock
from loket.core.models import AuditEvent
from loket.core.personal_data import ANONYMISED_NAME, KINDS, anonymise_closed_cases
from loket.notifications.models import OutboxMessage
from loket.notifications.services import deliver_due_messages
from loket.offices.models import CapacityOverride, Channel, ChannelKind
from loket.outreach import bridge, eazy_passport, hotline, planning, service_days
from loket.outreach.models import (
    EmergencyCase,
    OutreachParticipant,
    OutreachRequest,
    WalkInAdmission,
)
from loket.queue import check_in, counter_actions, office_setup, walk_ins
from loket.queue import issuance as queue_issuance
from loket.queue.models import Counter, Issuance, LaneKind, StaffRole, Ticket
from loket.release import services as fair_release
from loket.release.models import FairRelease, WaitingEntry
from loket.reports import exports, selectors
from loket.reports.models import QueueMonthSummary
from loket.reports.selectors import period_for
from loket.waitlist.models import WaitlistEntry
from loket.waitlist.services import join_waitlist
from tests.conftest import DEFAULT_NOW, WIB
from tests.helpers import FRIDAY, SATURDAY, THURSDAY, book, pay, person
from tests.outreach.conftest import make_staff
from tests.outreach.test_requests import VISIT, csv_of, data

DECEMBER = dt.date(2026, 12, 15)
RELEASED_DAY = dt.date(2026, 12, 29)  # its places were released 30 days before
# Names, NIKs and phone numbers that must be gone once the retention period has passed.
BUDI_NIK = "3215011708010001"  # also the first Eazy Passport participant (make_nik, serial 1)
SECRETS = [
    "Budi Santoso",
    "Ani Lestari",
    "Eko Prasetyo",
    "Mbah Sastro",
    "Ibu Pemohon",
    "Penelepon Satu",
    "Pemohon Satu",
    "Penelepon Dua",
    "Peserta 1",
    "Dr. Rina",
    "Tamu Simpatik",
    "humas@unsika.ac.id",
    "3215010101450001",  # the priority walk-in's NIK
    "3215010101010001",  # the family member's KK number
    "081298765432",
    "081234567890",
    "budi@contoh.id",  # the outbox recipient
]


def at(day: dt.date, hour: int = 9, minute: int = 0):
    return clock.frozen_at(dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=WIB))


def later(days: int):
    return clock.frozen_at(DEFAULT_NOW + dt.timedelta(days=days))


@pytest.fixture
def month(office, online, account, other_account):
    """December 2026 at the demo office, built through the services:

    - Budi books Thursday, pays, is served through every stage (an issuance) and a family
      member collects his passport on 9 December; Ani's booking is cancelled; Dewi's Friday
      booking is paid and never closed (her data stays).
    - A priority walk-in (Mbah Sastro) on Thursday, served at the document check.
    - Eko (another account) waits for a place on the full Friday.
    - Three emergency calls: approved for 2 December, rejected, still waiting (stays).
    - An Eazy Passport request of 25 (Budi's NIK among them), approved for 16 December once
      Budi was served (one live place per person), one participant checked in at the site.
    - A Paspor Simpatik Saturday with two walk-ins.
    - The outbox's messages sent.
    """
    office_setup.ensure_office_queue(office=office)
    for number, stage in [(1, "document_check"), (2, "photo_interview"), (3, "payment")]:
        office_setup.save_counter(office=office, number=number, stage_codes=[stage])
    boss = make_staff(
        "boss@contoh.id",
        office,
        StaffRole.SUPERVISOR,
        StaffRole.COUNTER,
        StaffRole.DESK,
        StaffRole.HOTLINE,
        StaffRole.OUTREACH,
    )
    team = planning.create_team(office=office, name="Tim A", size=2)

    with at(DEFAULT_NOW.date()):
        budi = pay(
            book(
                account,
                online,
                day=THURSDAY,
                applicant=person(dt.date(2001, 8, 17), serial=1, name="Budi Santoso"),
            )
        )
        assert budi.nik == BUDI_NIK
        ani = book(
            account, online, day=THURSDAY, applicant=person(serial=2, name="Ani Lestari", sex="F")
        )
        cancel_booking(account=account, code=ani.code)
        CapacityOverride.objects.create(channel=online, date=FRIDAY, capacity=1)
        dewi = pay(
            book(
                account,
                online,
                day=FRIDAY,
                window=dt.time(8, 0),
                applicant=person(serial=4, name="Dewi Open", sex="F"),
            )
        )
        eko = book(
            other_account, online, day=THURSDAY, applicant=person(serial=5, name="Eko Prasetyo")
        )
        cancel_booking(account=other_account, code=eko.code)
        join_waitlist(
            account=other_account,
            channel=online,
            day=FRIDAY,
            applicant_id=eko.applicant_id,
            application_type="new",
            purpose="tourism",
            passport_type="ordinary",
        )

        def call(n, name):
            return hotline.record_emergency_case(
                office=office,
                actor=boss,
                caller_name=f"Penelepon {name}",
                caller_phone="081298765432",
                nik=f"32150112059000{n:02d}",
                applicant_name=f"Pemohon {name}",
                domicile_regency="3215",
                reason="medical_abroad",
                notes="Operasi jantung di Singapura",
            )

        first, second, _waiting = call(1, "Satu"), call(2, "Dua"), call(3, "Tiga")
        hotline.approve_emergency_case(
            case=first,
            actor=boss,
            service_date=dt.date(2026, 12, 2),
            reason="Penelepon Satu mengirim surat rumah sakit, 081298765432",
        )
        hotline.reject_emergency_case(case=second, actor=boss, reason="Tidak mendesak")

        request = eazy_passport.submit_outreach_request(
            office=office, data=data(), participants_file=csv_of(25)
        )
        deliver_due_messages(limit=100)

    with at(THURSDAY, 9, 10):
        ticket = check_in.check_in_booking(
            office=office, code=budi.code, confirmed_nik=budi.nik, officer=boss
        )
    for minute, number in [(20, 1), (35, 2), (50, 3)]:
        serve(office, boss, minute, number)
    # Budi's place ended when he was served: his NIK may now join the visit (one live place).
    with at(THURSDAY, 9, 51):
        eazy_passport.approve_outreach_request(
            request=request, visit_date=VISIT, team=team, actor=boss
        )
        deliver_due_messages(limit=100)
    with at(THURSDAY, 9, 52):
        walk_ins.issue_walk_in_ticket(
            office=office,
            lane_kind=LaneKind.PRIORITY,
            name="Mbah Sastro",
            nik="3215010101450001",
            birth_date=dt.date(1945, 1, 1),
            officer=boss,
        )
    serve(office, boss, 55, 1)
    issuance = Issuance.objects.get(ticket=ticket)
    with at(dt.date(2026, 12, 9), 10):
        queue_issuance.record_pickup(
            office=office,
            issuance_id=issuance.pk,
            picked_up_by="family",
            collector_name="Ibu Pemohon",
            collector_document="3215010101010001",
            officer=boss,
        )

    simpatik = Channel.objects.create(
        office=office, code="simpatik", kind=ChannelKind.SIMPATIK, name="Paspor Simpatik"
    )
    occurrence = service_days.create_one_off_day(
        office=office,
        channel=simpatik,
        name="Simpatik Desember",
        day=SATURDAY,
        location="Aula kantor",
        quota=30,
        actor=boss,
    )
    for n in (1, 2):
        with at(SATURDAY, 8, n):
            service_days.admit_walk_in(occurrence=occurrence, name=f"Tamu Simpatik {n}", actor=boss)

    participant = OutreachParticipant.objects.filter(request=request).order_by("row_number")[0]
    assert participant.nik == BUDI_NIK
    with at(VISIT):
        bridge.check_in_by_code(
            office=office, code=participant.code, confirmed_nik=participant.nik, officer=boss
        )
    with at(VISIT, 18):
        deliver_due_messages(limit=100)

    FairRelease.objects.create(channel=online, period_hours=24)
    release = fair_release.release_for(online, RELEASED_DAY)
    with clock.frozen_at(release.release_at):
        fair_release.join(account=account, channel=online, day=RELEASED_DAY, nik=BUDI_NIK)
    return {"office": office, "budi": budi, "dewi": dewi, "request": request}


def serve(office, officer, minute: int, number: int):
    with at(THURSDAY, 9, minute):
        counter = Counter.objects.get(office=office, number=number)
        counter_actions.call_next_ticket(counter=counter, officer=officer)
        counter_actions.complete_ticket(counter=counter, officer=officer)


def report_figures(office) -> str:
    """Every report figure of December and of 2026, and both exports, as one text. The stored
    monthly queue summaries are dropped first so the figures are read from the rows."""
    QueueMonthSummary.objects.all().delete()
    out = []
    for period in (period_for("month", DECEMBER), period_for("year", DECEMBER)):
        figures = selectors.list_figures(office, period)
        out.append([f.as_dict() for f in figures])
        out.append([exports.figure_csv(f) for f in figures])
        workbook = load_workbook(
            io.BytesIO(exports.figures_xlsx(figures, office_name=office.name, period=period))
        )
        out.append([list(sheet.values) for sheet in workbook.worksheets])
    return json.dumps(out, default=str, sort_keys=True)


def personal_rows() -> str:
    """The rows of every table retention looks after, as text."""
    rows = [
        list(Applicant.objects.exclude(name="Dewi Open").values()),
        list(Ticket.objects.values()),
        list(Issuance.objects.values()),
        list(WalkInAdmission.objects.values()),
        list(OutreachParticipant.objects.values()),
        list(OutreachRequest.objects.values()),
        list(EmergencyCase.objects.exclude(status="recorded").values()),
        list(WaitlistEntry.objects.values()),
        list(OutboxMessage.objects.values()),
        list(WaitingEntry.objects.values()),
        list(
            AuditEvent.objects.exclude(object_type="EmergencyCase", action="emergency.recorded")
            .exclude(object_type__in=["User", "Retention"])
            .values("before", "after")
        ),
    ]
    return json.dumps(rows, default=str)


def test_every_figure_stays_identical_after_anonymisation(month):
    """The reports read before and after the retention run give the same numbers, while no
    name, NIK, phone or address of a closed case is left."""
    office = month["office"]
    with later(800):
        before = report_figures(office)
        assert "Tamu Simpatik 1" in personal_rows()
        result = anonymise_closed_cases()
        after = report_figures(office)

    assert after == before
    # The reports and their CSV/XLSX exports hold figures only, never a name, NIK or phone.
    assert [secret for secret in [*SECRETS, BUDI_NIK, "Dewi Open"] if secret in before] == []
    filled = {f["key"] for f in json.loads(after)[0] if f["rows"]}
    assert {
        "application_types",
        "origins",
        "stage_waits",
        "priority_quota",
        "service_days",
        "outreach_requests",
        "emergency_cases",
    } <= filled
    assert {kind: n > 0 for kind, n in result.counts.items()} == {kind: True for kind in KINDS}
    text = personal_rows()
    leaks = [secret for secret in SECRETS if secret in text]
    assert leaks == []
    assert find_drift() == []


def test_what_is_kept_and_what_is_replaced(month):
    """Counts, dates, reasons, decisions and regencies stay; open cases keep their data."""
    with later(800):
        anonymise_closed_cases()
    ticket = Ticket.objects.get(lane__kind=LaneKind.PRIORITY)
    assert (ticket.applicant_name, ticket.applicant_nik) == (ANONYMISED_NAME, "")
    assert ticket.birth_date == dt.date(1945, 1, 1) and ticket.priority_reason == "elderly"
    pickup = Issuance.objects.get()
    assert pickup.picked_up_by == "family" and pickup.collector_name == ANONYMISED_NAME
    assert pickup.collector_document == ANONYMISED_NAME
    participants = OutreachParticipant.objects.filter(request=month["request"])
    assert participants.count() == 25
    assert all(p.nik.startswith("0") and len(p.nik) == 16 for p in participants)
    assert {p.birth_date for p in participants} == {dt.date(2001, 1, 1)}
    approved = EmergencyCase.objects.get(status="approved")
    assert approved.reason == "medical_abroad" and approved.domicile_regency == "3215"
    assert approved.decision_reason.startswith(ANONYMISED_NAME)
    assert "081298765432" not in approved.decision_reason and approved.notes == ""
    waiting = EmergencyCase.objects.get(status="recorded")
    assert waiting.applicant_name == "Pemohon Tiga"  # no decision yet: kept
    dewi = Applicant.objects.get(name="Dewi Open")
    assert dewi.phone == "081234567890"
    entry = WaitlistEntry.objects.get()
    assert entry.nik.startswith("0") and entry.applicant.name == ANONYMISED_NAME
    assert (
        not OutboxMessage.objects.exclude(body=ANONYMISED_NAME)
        .filter(sent_at__isnull=False)
        .exists()
    )
    run = AuditEvent.objects.get(action="retention.run")
    assert run.after["counts"]["tickets"] == Ticket.objects.count() == 5
    assert run.after["retention_days"] == 730


def test_nothing_changes_within_the_period_and_a_second_run_finds_nothing(month, settings):
    """Within LOKET_RETENTION_DAYS of the close nothing is touched; the run is idempotent."""
    settings.LOKET_RETENTION_DAYS = 400
    with later(380):
        rows = personal_rows()
        early = anonymise_closed_cases()
        assert early.total == 0 and personal_rows() == rows
    with later(440):
        first = anonymise_closed_cases()
        second = anonymise_closed_cases()
    assert first.total > 0 and second.total == 0
    assert AuditEvent.objects.filter(action="retention.run").count() == 3


def test_the_retention_clock_starts_when_each_case_closes(month):
    """A visit on 16 December closes later than a call rejected on 1 December: 731 days after
    1 December the rejected call is anonymised, the visit's participants not yet."""
    with clock.frozen_at(DEFAULT_NOW + dt.timedelta(days=731)):
        result = anonymise_closed_cases()
    assert result.counts["emergency_cases"] == 1  # rejected on 1 December, not yet the one
    assert result.counts["outreach_participants"] == 0  # visit on 16 December
    assert result.counts["tickets"] == 0  # Budi's passport was collected on 9 December
    with clock.frozen_at(DEFAULT_NOW + dt.timedelta(days=747)):
        result = anonymise_closed_cases()
    assert result.counts["outreach_participants"] == 25
    assert result.counts["emergency_cases"] == 1  # approved for 2 December


def test_dry_run_counts_per_kind_and_writes_nothing(month, capsys):
    with later(800):
        call_command("anonymise_closed_cases", "--dry-run")
        out = capsys.readouterr().out
        assert "tickets: 5" in out and "outreach_participants: 25" in out
        assert "walk_ins: 2" in out and "pickups: 1" in out
        assert not AuditEvent.objects.filter(action="retention.run").exists()
        assert Ticket.objects.filter(applicant_name="Mbah Sastro").exists()
        call_command("anonymise_closed_cases")
        assert "tickets: 5" in capsys.readouterr().out
        call_command("anonymise_closed_cases")
        assert "0 record(s) in all" in capsys.readouterr().out
    assert AuditEvent.objects.filter(action="retention.run").count() == 2


# --- The applicant's download holds all of it ------------------------------------------------


def test_the_download_holds_tickets_pickups_lists_cases_and_waiting_list(
    month, account, other_account, token
):
    """Budi's account gets his queue ticket with the pickup, the Eazy Passport row and the
    emergency case naming his NIK; Eko's account gets its waiting-list entry. Nobody else's
    rows, and no emergency caller's phone."""
    from tests.trust.test_personal_data import get_my_data

    boss = Counter.objects.get(number=1).office.staff_memberships.first().user
    with at(DECEMBER):
        hotline.record_emergency_case(
            office=month["office"],
            actor=boss,
            caller_name="Ibu Budi",
            caller_phone="081211112222",
            nik=BUDI_NIK,
            applicant_name="Budi Santoso",
            domicile_regency="3215",
            reason="family_abroad",
        )
    with at(DECEMBER, 12):
        status, _response, data = get_my_data(token)
    assert status == 200
    ticket = next(t for t in data["queue_tickets"] if t["booking"] == month["budi"].code)
    assert ticket["nik"] == BUDI_NIK and ticket["name"] == "Budi Santoso"
    assert ticket["passport"]["picked_up_by"] == "family"
    assert ticket["passport"]["collector_name"] == "Ibu Pemohon"
    assert {t["name"] for t in data["queue_tickets"]} == {"Budi Santoso", "Peserta 1"}
    [row] = data["outreach_participants"]
    assert row["nik"] == BUDI_NIK and row["request"] == month["request"].code
    [case] = data["emergency_cases"]
    assert case["reason"] == "family_abroad" and case["nik"] == BUDI_NIK
    text = json.dumps(data)
    assert "081211112222" not in text and "Ibu Budi" not in text
    assert "Mbah Sastro" not in text and "Eko Prasetyo" not in text
    assert data["waitlist_entries"] == []
    [place] = data["release_waiting_room"]
    assert place["nik"] == BUDI_NIK and place["channel"] == "online"
    assert "Issuance" in {e["object_type"] for e in data["audit_events"]}

    from loket.core.personal_data import export_personal_data

    with at(DECEMBER, 12):
        eko = export_personal_data(account=other_account)
    [entry] = eko["waitlist_entries"]
    assert entry["date"] == FRIDAY.isoformat() and entry["status"] == "waiting"
    assert eko["queue_tickets"] == [] and eko["outreach_participants"] == []
    assert eko["release_waiting_room"] == []
    assert "Budi Santoso" not in json.dumps(eko)


def test_open_cases_are_kept_even_with_no_retention_at_all(month):
    """With --days 0 only closed cases go: an undecided Eazy Passport request keeps its list
    until its last preferred date has passed; an emergency call waiting for a decision and a
    booking still open keep theirs."""
    with at(DEFAULT_NOW.date()):
        pending = eazy_passport.submit_outreach_request(
            office=month["office"], data=data(), participants_file=csv_of(25)
        )
    with at(DECEMBER):
        anonymise_closed_cases(retention_days=0)
    pending.refresh_from_db()
    assert pending.contact_person == "Dr. Rina"
    assert pending.participants.filter(name="Peserta 1").exists()
    assert EmergencyCase.objects.filter(applicant_name="Pemohon Tiga").exists()
    assert Applicant.objects.get(name="Dewi Open").phone == "081234567890"
    assert Ticket.objects.get(booking=month["budi"]).applicant_name == ANONYMISED_NAME
    with at(dt.date(2026, 12, 17)):
        result = anonymise_closed_cases(retention_days=0)
    pending.refresh_from_db()
    assert pending.contact_person == ANONYMISED_NAME
    assert result.counts["outreach_participants"] == 50  # the visit of the 16th and this one
    assert not pending.participants.exclude(name=ANONYMISED_NAME).exists()


def test_naming_someone_elses_nik_does_not_download_their_rows(month, other_account):
    """An account can add any NIK to its people; rows found by NIK alone (Eazy Passport lists,
    emergency cases, walk-in tickets) come only for NIKs seen on a KTP at its own check-ins."""
    from loket.accounts.services import save_applicant
    from loket.core.personal_data import export_personal_data

    with at(DECEMBER, 12):
        save_applicant(
            account=other_account,
            nik=BUDI_NIK,
            name="Budi Santoso",
            birth_date=dt.date(2001, 8, 17),
            sex="M",
            phone="081234567890",
            domicile_regency="32.15",
            married=False,
            today=DECEMBER,
        )
        data = export_personal_data(account=other_account)
    assert data["outreach_participants"] == [] and data["emergency_cases"] == []
    assert data["queue_tickets"] == []
