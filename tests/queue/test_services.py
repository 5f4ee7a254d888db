"""The queue services: check-in, walk-ins, the counter's actions, issuance and pickup."""

import datetime as dt

import pytest

from loket.booking.models import BookingStatus
from loket.booking.proofs import qr_payload
from loket.capacity.integrity import find_drift
from loket.capacity.models import CapacitySlot, ChannelMove
from loket.core import clock
from loket.core.errors import InvalidInput, PermissionDenied
from loket.core.models import AuditEvent
from loket.identity.nik import NikInvalid
from loket.offices.models import Channel, Closure, WeekdayCapacity
from loket.queue import check_in, counter_actions, errors, office_setup, walk_ins
from loket.queue import issuance as queue_issuance
from loket.queue.models import (
    Counter,
    Issuance,
    QueueSettings,
    Ticket,
    TicketEvent,
    TicketSequence,
    TicketStatus,
)
from tests.conftest import WIB, make_nik
from tests.queue.conftest import AT_9_10, DAY, paid_booking

pytestmark = pytest.mark.django_db


def counter(office, number) -> Counter:
    return Counter.objects.get(office=office, number=number)


def events(ticket) -> list[str]:
    return list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))


def walk_in(office, officer, *, kind="priority", birth=dt.date(1950, 1, 1), serial=1, **kw):
    return walk_ins.issue_walk_in_ticket(
        office=office,
        lane_kind=kind,
        name="Walk In",
        nik=make_nik(birth, serial=serial),
        officer=officer,
        **kw,
    )


# --- check-in -------------------------------------------------------------------------------


def test_check_in_by_qr_issues_an_appointment_ticket(booking, on_the_day, desk, queue_office):
    """Scanning the QR proof on the day checks the booking in and issues A001."""
    ticket = check_in.check_in_booking(
        office=queue_office, code=qr_payload(booking), confirmed_nik=booking.nik, officer=desk
    )
    assert ticket.display == "A001"
    assert ticket.stage.code == "document_check"
    assert ticket.status == TicketStatus.WAITING
    assert ticket.order_at == dt.datetime(2026, 12, 3, 9, 0, tzinfo=WIB)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CHECKED_IN
    assert events(ticket) == ["issued"]
    assert AuditEvent.objects.filter(action="booking.checked_in", object_id=booking.code).exists()
    assert AuditEvent.objects.filter(action="ticket.issued").exists()


def test_check_in_by_application_number_and_code(queue_office, online, account, now, desk):
    """The typed application number or booking code finds the booking too."""
    first = paid_booking(account, online, serial=1)
    second = paid_booking(account, online, serial=2)
    with clock.frozen_at(AT_9_10):
        a = check_in.check_in_booking(
            office=queue_office,
            code=first.application_number.lower(),
            confirmed_nik=first.nik,
            officer=desk,
        )
        b = check_in.check_in_booking(
            office=queue_office, code=second.code, confirmed_nik=second.nik, officer=desk
        )
    assert (a.display, b.display) == ("A001", "A002")


def test_check_in_twice_is_refused(booking, on_the_day, desk, queue_office):
    """A second check-in names the ticket already issued."""
    check_in.check_in_booking(
        office=queue_office, code=booking.code, confirmed_nik=booking.nik, officer=desk
    )
    with pytest.raises(errors.AlreadyCheckedIn, match="A001"):
        check_in.check_in_booking(
            office=queue_office, code=booking.code, confirmed_nik=booking.nik, officer=desk
        )
    assert Ticket.objects.count() == 1


def test_check_in_on_another_day_is_refused(booking, desk, queue_office):
    """Two days early, the booking cannot be checked in."""
    with pytest.raises(errors.NotBookedToday):
        check_in.check_in_booking(
            office=queue_office, code=booking.code, confirmed_nik=booking.nik, officer=desk
        )
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_check_in_with_another_nik_is_refused(booking, on_the_day, desk, queue_office):
    """The KTP's NIK must be the booking's."""
    with pytest.raises(errors.NikMismatch):
        check_in.check_in_booking(
            office=queue_office, code=booking.code, confirmed_nik="3215010101900009", officer=desk
        )
    assert not Ticket.objects.exists()


def test_unknown_code_and_forged_qr_are_refused(booking, on_the_day, desk, queue_office):
    """An unknown code or a QR not signed here finds no booking."""
    for code in ["", "NOPE", "eyJjIjoiWCJ9:forged:sig"]:
        with pytest.raises(errors.BookingNotFoundHere):
            check_in.check_in_booking(
                office=queue_office, code=code, confirmed_nik=booking.nik, officer=desk
            )


def test_unpaid_booking_cannot_check_in(queue_office, online, account, now, desk):
    """A booking awaiting payment is refused at the desk."""
    from loket.booking.services import ApplicantData, book_appointment

    held = book_appointment(
        account=account,
        channel=online,
        day=DAY,
        window_start=dt.time(9, 0),
        application_type="new",
        purpose="tourism",
        passport_type="ordinary",
        applicant=ApplicantData(
            nik=make_nik(dt.date(1990, 5, 12)),
            name="Budi",
            birth_date=dt.date(1990, 5, 12),
            sex="M",
            phone="0812345678",
            domicile_regency="3215",
        ),
    )
    with clock.frozen_at(AT_9_10), pytest.raises(errors.BookingNotConfirmed):
        check_in.check_in_booking(
            office=queue_office, code=held.code, confirmed_nik=held.nik, officer=desk
        )


def test_late_arrival_is_served_after_on_time_ones(queue_office, online, account, now, desk):
    """Beyond the tolerance, a late arrival is accepted but ordered after on-time arrivals."""
    late = paid_booking(account, online, serial=1, window=dt.time(8, 0))
    on_time = paid_booking(account, online, serial=2, window=dt.time(10, 0))
    with clock.frozen_at(dt.datetime(2026, 12, 3, 10, 5, tzinfo=WIB)):
        t_late = check_in.check_in_booking(
            office=queue_office, code=late.code, confirmed_nik=late.nik, officer=desk
        )
        t_on_time = check_in.check_in_booking(
            office=queue_office, code=on_time.code, confirmed_nik=on_time.nik, officer=desk
        )
        assert t_late.off_window and not t_on_time.off_window
        called = counter_actions.call_next_ticket(counter=counter(queue_office, 1), officer=desk)
    assert called.pk == t_on_time.pk


def test_office_rule_can_refuse_early_and_late_arrivals(queue_office, online, account, now, desk):
    """With the 'refuse' rule, too early says when to come back; too late is refused."""
    QueueSettings.objects.filter(office=queue_office).update(
        off_window_rule="refuse", early_tolerance_minutes=30, late_tolerance_minutes=5
    )
    early = paid_booking(account, online, serial=1, window=dt.time(11, 0))
    late = paid_booking(account, online, serial=2, window=dt.time(8, 0))
    with clock.frozen_at(AT_9_10):
        with pytest.raises(errors.ArrivedTooEarly, match="10:30"):
            check_in.check_in_booking(
                office=queue_office, code=early.code, confirmed_nik=early.nik, officer=desk
            )
        with pytest.raises(errors.ArrivedTooLate):
            check_in.check_in_booking(
                office=queue_office, code=late.code, confirmed_nik=late.nik, officer=desk
            )
    assert not Ticket.objects.exists()


# --- walk-ins -------------------------------------------------------------------------------


def test_priority_ticket_for_the_elderly_takes_a_quota_place(queue_office, desk, now):
    """A 60+ walk-in gets P001 and one place of the day's priority quota."""
    ticket = walk_in(queue_office, desk, birth=dt.date(1966, 12, 1))  # 60 today
    assert ticket.display == "P001"
    assert ticket.priority_reason == "elderly"
    slot = CapacitySlot.objects.get(channel__code="priority", date=now.date())
    assert (slot.used, slot.capacity) == (1, 20)


def test_priority_for_children_and_attested_grounds(queue_office, desk, now):
    """Under 5 on the day qualifies; a 30-year-old only with an attested ground."""
    child = walk_in(queue_office, desk, birth=dt.date(2021, 12, 2), serial=2)  # 4 today
    assert child.priority_reason == "child"
    with pytest.raises(errors.NotEligibleForPriority):
        walk_in(queue_office, desk, birth=dt.date(2021, 12, 1), serial=3)  # 5 today
    with pytest.raises(errors.NotEligibleForPriority):
        walk_in(queue_office, desk, birth=dt.date(1996, 1, 1), serial=4)
    pregnant = walk_in(
        queue_office, desk, birth=dt.date(1996, 1, 1), serial=5, attested=["pregnancy"]
    )
    assert pregnant.priority_reason == "pregnancy"
    assert CapacitySlot.objects.get(channel__code="priority").used == 2


def test_priority_quota_refuses_the_next_person(queue_office, desk, now):
    """After the day's 20 priority places, the 21st person is refused clearly."""
    for serial in range(1, 21):
        walk_in(queue_office, desk, serial=serial)
    with pytest.raises(errors.PriorityQuotaExhausted) as refused:
        walk_in(queue_office, desk, serial=21)
    assert refused.value.code == "priority_quota_exhausted"
    assert Ticket.objects.filter(lane__kind="priority").count() == 20
    assert TicketSequence.objects.get(lane__kind="priority").last_number == 20
    assert find_drift() == []  # each place taken is held by its ticket


def test_lost_damaged_ticket_takes_its_own_channel(queue_office, desk, now):
    """A lost/damaged walk-in gets a B ticket against the lost-damaged channel."""
    WeekdayCapacity.objects.filter(channel__code="lost-damaged").update(capacity=1)
    ticket = walk_in(queue_office, desk, kind="lost_damaged", birth=dt.date(1990, 1, 1))
    assert ticket.display == "B001"
    with pytest.raises(errors.LaneQuotaExhausted):
        walk_in(queue_office, desk, kind="lost_damaged", birth=dt.date(1990, 1, 1), serial=2)


def test_walk_in_errors(queue_office, desk, now):
    """No name, a bad NIK, an unknown lane or a closed day are refused."""
    with pytest.raises(InvalidInput):
        walk_ins.issue_walk_in_ticket(
            office=queue_office, lane_kind="priority", name=" ", nik="", officer=desk
        )
    with pytest.raises(NikInvalid):
        walk_ins.issue_walk_in_ticket(
            office=queue_office, lane_kind="priority", name="X", nik="123", officer=desk
        )
    with pytest.raises(errors.LaneNotAvailable):
        walk_ins.issue_walk_in_ticket(
            office=queue_office, lane_kind="appointment", name="X", nik="", officer=desk
        )
    Closure.objects.create(office=queue_office, date=now.date(), reason="Rapat")
    with pytest.raises(errors.OfficeClosedToday):
        walk_in(queue_office, desk)


# --- the counter ----------------------------------------------------------------------------


def test_a_ticket_moves_through_the_stages_to_done(booking, on_the_day, desk, officer):
    """Call, start, complete at each stage: the booking is completed, events are timestamped."""
    office = booking.office
    ticket = check_in.check_in_booking(
        office=office, code=booking.code, confirmed_nik=booking.nik, officer=desk
    )
    for number, stage in [(1, "document_check"), (3, "photo_interview"), (4, "payment")]:
        called = counter_actions.call_next_ticket(counter=counter(office, number), officer=officer)
        assert called.pk == ticket.pk and called.stage.code == stage
        counter_actions.start_service(counter=counter(office, number), officer=officer)
        counter_actions.complete_ticket(counter=counter(office, number), officer=officer)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.DONE and ticket.counter is None
    booking.refresh_from_db()
    assert booking.status == BookingStatus.COMPLETED
    assert events(ticket) == ["issued"] + ["called", "started", "finished"] * 3
    issuance = Issuance.objects.get(ticket=ticket)
    # Interview Thursday 3 Dec: 4 working days later is Wednesday 9 Dec.
    assert issuance.ready_date == dt.date(2026, 12, 9)


def test_a_counter_serves_one_ticket_at_a_time(queue_office, desk, officer, now):
    """Calling again while serving is refused; with nobody waiting, call-next says so."""
    walk_in(queue_office, desk, serial=1)
    c1 = counter(queue_office, 1)
    counter_actions.call_next_ticket(counter=c1, officer=officer)
    with pytest.raises(errors.CounterBusy, match="P001"):
        counter_actions.call_next_ticket(counter=c1, officer=officer)
    with pytest.raises(errors.NobodyWaiting):
        counter_actions.call_next_ticket(counter=counter(queue_office, 2), officer=officer)
    with pytest.raises(errors.NobodyWaiting):
        counter_actions.call_next_ticket(counter=counter(queue_office, 3), officer=officer)


def test_no_show_only_after_the_recalls(booking, on_the_day, desk, officer):
    """A no-show needs the configured recalls first; the booking becomes a no-show."""
    office = booking.office
    check_in.check_in_booking(
        office=office, code=booking.code, confirmed_nik=booking.nik, officer=desk
    )
    c1 = counter(office, 1)
    counter_actions.call_next_ticket(counter=c1, officer=officer)
    with pytest.raises(errors.NoShowTooEarly):
        counter_actions.mark_no_show(counter=c1, officer=officer)
    counter_actions.recall_ticket(counter=c1, officer=officer)
    recalled = counter_actions.recall_ticket(counter=c1, officer=officer)
    assert recalled.recall_count == 2
    ticket = counter_actions.mark_no_show(counter=c1, officer=officer)
    assert ticket.status == TicketStatus.NO_SHOW and ticket.counter is None
    booking.refresh_from_db()
    assert booking.status == BookingStatus.NO_SHOW
    assert events(ticket) == ["issued", "called", "recalled", "recalled", "no_show"]


def test_park_return_and_transfer(queue_office, desk, officer, now):
    """A parked ticket frees the counter and waits again on return; a transfer changes stage."""
    t1 = walk_in(queue_office, desk, serial=1)
    c1 = counter(queue_office, 1)
    counter_actions.call_next_ticket(counter=c1, officer=officer)
    parked = counter_actions.park_ticket(counter=c1, officer=officer)
    assert parked.status == TicketStatus.PARKED
    with pytest.raises(errors.NobodyWaiting):
        counter_actions.call_next_ticket(counter=c1, officer=officer)
    counter_actions.return_ticket(office=queue_office, ticket_id=t1.pk, officer=desk)
    with pytest.raises(errors.TicketStateInvalid):
        counter_actions.return_ticket(office=queue_office, ticket_id=t1.pk, officer=desk)
    counter_actions.call_next_ticket(counter=c1, officer=officer)
    with pytest.raises(errors.StageNotFound):
        counter_actions.transfer_ticket(counter=c1, officer=officer, stage_code="nowhere")
    moved = counter_actions.transfer_ticket(counter=c1, officer=officer, stage_code="payment")
    assert moved.stage.code == "payment" and moved.status == TicketStatus.WAITING
    assert (
        counter_actions.call_next_ticket(counter=counter(queue_office, 4), officer=officer).pk
        == t1.pk
    )
    assert events(t1) == [
        "issued",
        "called",
        "parked",
        "returned",
        "called",
        "transferred",
        "called",
    ]


def test_actions_need_a_ticket_at_the_counter(queue_office, officer, now):
    """Recall, complete, park or no-show at an idle counter are refused."""
    c1 = counter(queue_office, 1)
    for action in (
        counter_actions.recall_ticket,
        counter_actions.complete_ticket,
        counter_actions.park_ticket,
        counter_actions.mark_no_show,
        counter_actions.start_service,
    ):
        with pytest.raises(errors.TicketNotAtCounter):
            action(counter=c1, officer=officer)


def test_recall_and_no_show_refused_while_serving(queue_office, desk, officer, now):
    """Once service started, the person is there: no recall, no no-show."""
    walk_in(queue_office, desk)
    c1 = counter(queue_office, 1)
    counter_actions.call_next_ticket(counter=c1, officer=officer)
    counter_actions.start_service(counter=c1, officer=officer)
    with pytest.raises(errors.TicketStateInvalid):
        counter_actions.recall_ticket(counter=c1, officer=officer)
    with pytest.raises(errors.TicketStateInvalid):
        counter_actions.start_service(counter=c1, officer=officer)
    with pytest.raises(errors.TicketStateInvalid):
        counter_actions.mark_no_show(counter=c1, officer=officer)


def test_priority_goes_first_then_interleave(queue_office, online, account, now, desk, officer):
    """Priority first by default; with 1 priority per 2 others the lanes interleave."""
    bookings = [paid_booking(account, online, serial=s) for s in range(1, 4)]
    with clock.frozen_at(AT_9_10):
        appts = [
            check_in.check_in_booking(
                office=queue_office, code=b.code, confirmed_nik=b.nik, officer=desk
            )
            for b in bookings
        ]
        prio = [walk_in(queue_office, desk, serial=s) for s in (11, 12)]
        QueueSettings.objects.filter(office=queue_office).update(others_per_priority=2)
        c1 = counter(queue_office, 1)
        order = []
        for _ in range(5):
            order.append(counter_actions.call_next_ticket(counter=c1, officer=officer).display)
            counter_actions.complete_ticket(counter=c1, officer=officer)
    assert [t.display for t in appts] == ["A001", "A002", "A003"]
    assert [t.display for t in prio] == ["P001", "P002"]
    assert order == ["A001", "A002", "P001", "A003", "P002"]


def test_pickup_rules(booking, on_the_day, desk, officer):
    """A passport is handed over from its ready date, once, with the collector's document."""
    office = booking.office
    check_in.check_in_booking(
        office=office, code=booking.code, confirmed_nik=booking.nik, officer=desk
    )
    for number in (1, 3):
        counter_actions.call_next_ticket(counter=counter(office, number), officer=officer)
        counter_actions.complete_ticket(counter=counter(office, number), officer=officer)
    issuance = Issuance.objects.get()
    with pytest.raises(errors.PassportNotReady, match="09-12-2026"):
        queue_issuance.record_pickup(
            office=office, issuance_id=issuance.pk, picked_up_by="applicant", officer=desk
        )
    with clock.frozen_at(dt.datetime(2026, 12, 9, 10, 0, tzinfo=WIB)):
        with pytest.raises(errors.PickupInvalid):
            queue_issuance.record_pickup(
                office=office, issuance_id=issuance.pk, picked_up_by="proxy", officer=desk
            )
        done = queue_issuance.record_pickup(
            office=office,
            issuance_id=issuance.pk,
            picked_up_by="family",
            collector_name="Ibu Pemohon",
            collector_document="3215010101010001",
            officer=desk,
        )
        assert done.picked_up_at is not None
        with pytest.raises(errors.AlreadyPickedUp):
            queue_issuance.record_pickup(
                office=office, issuance_id=issuance.pk, picked_up_by="applicant", officer=desk
            )


def test_uncollected_passports_listed_after_a_month(booking, on_the_day, desk, officer):
    """A passport not collected a month after its ready date is listed for cancellation."""
    from loket.queue.selectors import list_uncollected

    office = booking.office
    check_in.check_in_booking(
        office=office, code=booking.code, confirmed_nik=booking.nik, officer=desk
    )
    for number in (1, 3):
        counter_actions.call_next_ticket(counter=counter(office, number), officer=officer)
        counter_actions.complete_ticket(counter=counter(office, number), officer=officer)
    assert list(list_uncollected(office=office, on=dt.date(2027, 1, 8))) == []
    assert len(list_uncollected(office=office, on=dt.date(2027, 1, 9))) == 1


def test_counters_without_a_channel_row_need_none(queue_office):
    """Lanes link to the demo's capacity channels."""
    lanes = dict(queue_office.lanes.values_list("kind", "channel__code"))
    assert lanes == {
        "appointment": None,
        "emergency": None,
        "lost_damaged": "lost-damaged",
        "priority": "priority",
    }
    assert Channel.objects.filter(office=queue_office, code="priority").exists()


def test_a_long_wait_beats_the_priority_lane(queue_office, online, account, now, desk, officer):
    """An appointment waiting beyond the starvation limit is called before a fresh priority."""
    QueueSettings.objects.filter(office=queue_office).update(starvation_minutes=30)
    b = paid_booking(account, online, serial=1)
    with clock.frozen_at(AT_9_10):
        appointment = check_in.check_in_booking(
            office=queue_office, code=b.code, confirmed_nik=b.nik, officer=desk
        )
    with clock.frozen_at(AT_9_10 + dt.timedelta(minutes=25)):
        walk_in(queue_office, desk, serial=2)
        first = counter_actions.call_next_ticket(counter=counter(queue_office, 1), officer=officer)
    assert first.lane.kind == "priority"
    counter_actions.park_ticket(counter=counter(queue_office, 1), officer=officer)
    with clock.frozen_at(AT_9_10 + dt.timedelta(minutes=41)):
        counter_actions.return_ticket(office=queue_office, ticket_id=first.pk, officer=desk)
        walk_in(queue_office, desk, serial=3)
        # the appointment has waited 41 minutes (> 30): it goes before both priority tickets
        second = counter_actions.call_next_ticket(counter=counter(queue_office, 1), officer=officer)
    assert second.pk == appointment.pk


def test_counters_serve_only_their_lanes(queue_office, desk, officer, now):
    """A counter limited to appointments does not call a priority ticket."""
    office_setup.save_counter(
        office=queue_office, number=5, stage_codes=["document_check"], lane_kinds=["appointment"]
    )
    walk_in(queue_office, desk)
    with pytest.raises(errors.NobodyWaiting):
        counter_actions.call_next_ticket(counter=counter(queue_office, 5), officer=officer)


def test_emergency_tickets_need_a_supervisor_or_hotline(queue_office, desk, supervisor, now):
    """The desk cannot issue an emergency ticket; a supervisor can (D001)."""
    with pytest.raises(PermissionDenied):
        walk_in(queue_office, desk, kind="emergency")
    assert walk_in(queue_office, supervisor, kind="emergency").display == "D001"


def test_unclaimed_priority_places_move_at_the_configured_time(queue_office, desk, now):
    """From 12:00, the priority places left today move to the lost/damaged channel."""
    with pytest.raises(errors.PriorityReleaseNotConfigured):
        walk_ins.release_unclaimed_priority(office=queue_office, officer=desk)
    QueueSettings.objects.filter(office=queue_office).update(
        priority_release_at=dt.time(12, 0),
        priority_release_to=Channel.objects.get(office=queue_office, code="lost-damaged"),
    )
    walk_in(queue_office, desk)  # one priority place used
    with pytest.raises(errors.PriorityReleaseTooEarly, match="12:00"):
        walk_ins.release_unclaimed_priority(office=queue_office, officer=desk)
    with clock.frozen_at(now.replace(hour=12)):
        assert walk_ins.release_unclaimed_priority(office=queue_office, officer=desk) == 19
        assert walk_ins.release_unclaimed_priority(office=queue_office, officer=desk) == 0
        with pytest.raises(errors.PriorityQuotaExhausted):
            walk_in(queue_office, desk, serial=2)
    priority = CapacitySlot.objects.get(channel__code="priority", date=now.date())
    lost = CapacitySlot.objects.get(channel__code="lost-damaged", date=now.date())
    assert (priority.used, priority.capacity) == (1, 1)
    assert lost.capacity == 10 + 19
    assert AuditEvent.objects.filter(action="capacity.priority_released").count() == 1
    # The reports' typed fact of the move, with who asked.
    assert list(ChannelMove.objects.values_list("count", "to_channel__code", "officer")) == [
        (19, "lost-damaged", desk.pk)
    ]


def test_lost_passport_examination_is_booked_and_approved(queue_office, desk, officer, now):
    """The document check sets the BAP date against the BAP channel's own capacity; once
    approved, the applicant comes back for photos 3 working days later."""
    from loket.queue.models import BapCase

    WeekdayCapacity.objects.filter(channel__code="lost-damaged").update(capacity=1)
    walk_in(queue_office, desk, kind="lost_damaged", birth=dt.date(1990, 1, 1))
    c1 = counter(queue_office, 1)
    counter_actions.call_next_ticket(counter=c1, officer=officer)
    for day in (now.date(), dt.date(2026, 11, 30), dt.date(2026, 12, 31)):  # today, past, closed
        with pytest.raises(errors.BapDateInvalid):
            queue_issuance.schedule_bap(counter=c1, officer=officer, day=day)
    with pytest.raises(errors.BapDateTooFar):  # beyond the BAP channel's horizon (60 days)
        queue_issuance.schedule_bap(counter=c1, officer=officer, day=dt.date(2027, 2, 1))
    case = queue_issuance.schedule_bap(counter=c1, officer=officer, day=dt.date(2026, 12, 3))
    case.slot.refresh_from_db()
    assert case.slot.channel.kind == "bap"
    assert case.slot.date == dt.date(2026, 12, 3) and case.slot.used == 1
    with pytest.raises(errors.BapAlreadyScheduled, match="03-12-2026"):
        queue_issuance.schedule_bap(counter=c1, officer=officer, day=dt.date(2026, 12, 4))
    with pytest.raises(errors.BapNotDue):
        queue_issuance.approve_bap(office=queue_office, case_id=case.pk, officer=officer)
    with clock.frozen_at(AT_9_10):
        approved = queue_issuance.approve_bap(office=queue_office, case_id=case.pk, officer=officer)
        with pytest.raises(errors.TicketStateInvalid):
            queue_issuance.approve_bap(office=queue_office, case_id=case.pk, officer=officer)
    assert approved.photo_date == dt.date(2026, 12, 8)  # Fri 4, Mon 7, Tue 8
    assert BapCase.objects.get().status == "approved"
    assert AuditEvent.objects.filter(action__in=["bap.scheduled", "bap.approved"]).count() == 2
    assert find_drift() == []


def test_photo_date_skips_holidays_and_office_closures(queue_office, desk, officer, now):
    """Approved on Wed 23 Dec 2026, the photos are 3 working days later on the office's calendar:
    cuti bersama (24), Christmas (25), the weekend, an office closure (28), then Tue 29 and
    Wed 30; the demo's year-end closure (31), New Year and the weekend: Mon 4 January."""
    Closure.objects.create(office=queue_office, date=dt.date(2026, 12, 28), reason="Rapat kerja")
    walk_in(queue_office, desk, kind="lost_damaged", birth=dt.date(1990, 1, 1))
    c1 = counter(queue_office, 1)
    counter_actions.call_next_ticket(counter=c1, officer=officer)
    case = queue_issuance.schedule_bap(counter=c1, officer=officer, day=dt.date(2026, 12, 23))
    with clock.frozen_at(dt.datetime(2026, 12, 23, 10, 0, tzinfo=WIB)):
        approved = queue_issuance.approve_bap(office=queue_office, case_id=case.pk, officer=officer)
    assert approved.photo_date == dt.date(2027, 1, 4)


def test_bap_needs_a_lost_damaged_ticket_and_a_free_place(queue_office, desk, officer, now):
    """A priority ticket has no BAP; a full BAP day is refused."""
    WeekdayCapacity.objects.filter(channel__code="bap").update(capacity=1)
    walk_in(queue_office, desk)
    c1, c2 = counter(queue_office, 1), counter(queue_office, 2)
    counter_actions.call_next_ticket(counter=c1, officer=officer)
    with pytest.raises(errors.BapNotForThisTicket):
        queue_issuance.schedule_bap(counter=c1, officer=officer, day=dt.date(2026, 12, 3))
    counter_actions.complete_ticket(counter=c1, officer=officer)
    for serial in (2, 3):
        walk_in(queue_office, desk, kind="lost_damaged", birth=dt.date(1990, 1, 1), serial=serial)
    counter_actions.call_next_ticket(counter=c1, officer=officer)
    counter_actions.call_next_ticket(counter=c2, officer=officer)
    queue_issuance.schedule_bap(counter=c1, officer=officer, day=dt.date(2026, 12, 3))
    with pytest.raises(errors.BapQuotaExhausted):
        queue_issuance.schedule_bap(counter=c2, officer=officer, day=dt.date(2026, 12, 3))
    # another day of the BAP channel still has its place
    queue_issuance.schedule_bap(counter=c2, officer=officer, day=dt.date(2026, 12, 4))


def test_bap_dates_do_not_use_the_walk_in_lanes_places(queue_office, desk, officer, now):
    """The lost/damaged walk-in lane and the BAP channel each keep their own daily places: a
    full walk-in day leaves BAP dates free, and a full BAP day refuses no walk-in."""
    WeekdayCapacity.objects.filter(channel__code="lost-damaged").update(capacity=1)
    WeekdayCapacity.objects.filter(channel__code="bap").update(capacity=1)
    day = dt.date(2026, 12, 2)  # tomorrow: both channels have one place
    walk_in(queue_office, desk, kind="lost_damaged", birth=dt.date(1990, 1, 1))
    with pytest.raises(errors.LaneQuotaExhausted):
        walk_in(queue_office, desk, kind="lost_damaged", birth=dt.date(1990, 1, 1), serial=2)
    c1 = counter(queue_office, 1)
    counter_actions.call_next_ticket(counter=c1, officer=officer)
    case = queue_issuance.schedule_bap(counter=c1, officer=officer, day=day)
    walk_in_slot = CapacitySlot.objects.get(channel__code="lost-damaged", date=now.date())
    bap_slot = CapacitySlot.objects.get(channel__code="bap", date=day)
    assert case.slot_id == bap_slot.pk
    assert (walk_in_slot.used, bap_slot.used) == (1, 1)
    assert not CapacitySlot.objects.filter(channel__code="lost-damaged", date=day).exists()
    with clock.frozen_at(dt.datetime(2026, 12, 2, 9, 0, tzinfo=WIB)):
        walk_in(queue_office, desk, kind="lost_damaged", birth=dt.date(1990, 1, 1), serial=3)
    assert find_drift() == []


def test_bap_without_a_bap_channel_is_refused(queue_office, desk, officer, now):
    """An office without an active BAP channel gets a clear refusal, not a shared place."""
    Channel.objects.filter(office=queue_office, code="bap").update(is_active=False)
    walk_in(queue_office, desk, kind="lost_damaged", birth=dt.date(1990, 1, 1))
    c1 = counter(queue_office, 1)
    counter_actions.call_next_ticket(counter=c1, officer=officer)
    with pytest.raises(errors.BapCapacityNotConfigured):
        queue_issuance.schedule_bap(counter=c1, officer=officer, day=dt.date(2026, 12, 3))
    assert (
        not CapacitySlot.objects.filter(channel__code="lost-damaged", used__gt=0)
        .exclude(date=now.date())
        .exists()
    )


def test_an_office_has_one_bap_channel(queue_office):
    """The database refuses a second examination (BAP) channel at an office."""
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Channel.objects.create(office=queue_office, code="bap-2", kind="bap", name="BAP 2")
