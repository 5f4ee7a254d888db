"""One owner per fact: the ledger writes places, the booking lifecycle writes statuses."""

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "loket"


def _sources(*, skip: tuple[str, ...]):
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if "/migrations/" in rel or rel.startswith(skip):
            continue
        yield rel, path.read_text()


def test_only_the_ledger_writes_places():
    """No module outside loket/capacity updates a ledger slot's places with the ORM.

    (reports/generator.py builds demo history in bulk, straight into an empty period.)
    """
    pattern = re.compile(r"CapacitySlot\.objects[^\n]*\.update\(|bulk_update\([^\n]*\"used\"")
    offenders = [
        rel
        for rel, text in _sources(skip=("capacity/", "reports/generator.py"))
        if pattern.search(text)
    ]
    assert offenders == []


def test_only_the_lifecycle_writes_a_booking_status():
    """Booking.status is set only in loket/booking/lifecycle.py (the transition table)."""
    pattern = re.compile(
        r"Booking\.objects[^\n]*\.update\([^)]*status=|booking\.status = |"
        r"\.update\(\s*status=BookingStatus\."
    )
    offenders = [
        rel
        for rel, text in _sources(skip=("booking/lifecycle.py", "reports/"))
        if pattern.search(text)
    ]
    assert offenders == []


def test_the_waiting_list_has_no_hook_module():
    """Freed places reach the waiting list through a typed event, not a hooks module."""
    assert not (PACKAGE / "waitlist" / "hooks.py").exists()


def test_a_booking_event_is_built_only_by_the_lifecycle():
    """BookingEvent rows come from booking.lifecycle.booking_event: the lifecycle saves each,
    the year generator bulk-inserts many; nobody else builds or creates one."""
    pattern = re.compile(
        r"(?<!class )BookingEvent\(|BookingEvent\.objects[^\n]*\.(create|update)\("
    )
    offenders = [
        rel for rel, text in _sources(skip=("booking/lifecycle.py",)) if pattern.search(text)
    ]
    assert offenders == []


def test_a_move_of_places_is_written_only_by_the_ledger():
    """ChannelMove rows come from capacity.services (move_unclaimed_places), in the move's
    transaction; nobody else builds or writes one."""
    pattern = re.compile(
        r"(?<!class )ChannelMove\(|ChannelMove\.objects[^\n]*\.(create|update|bulk_create)\("
    )
    offenders = [
        rel for rel, text in _sources(skip=("capacity/services.py",)) if pattern.search(text)
    ]
    assert offenders == []


def test_reports_read_typed_facts_not_the_audit_trail():
    """No report reads the audit trail's rows: the audit trail stays the human record."""
    offenders = [
        rel
        for rel, text in _sources(skip=())
        if rel.startswith("reports/") and re.search(r"AuditEvent|core\.audit\b", text)
    ]
    assert offenders == []
