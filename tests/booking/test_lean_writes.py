"""The booking path's lean writes (loket.core.fastsql on PostgreSQL, the ORM elsewhere)
store exactly what the ORM would, in fewer statements."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from loket.accounts.models import Applicant
from loket.booking import services
from loket.booking.models import Booking
from loket.core.models import AuditEvent
from loket.notifications.models import OutboxMessage
from tests.helpers import book


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_the_rows_read_back_as_the_booking_holds_them(online, account):
    booking = book(account, online)
    assert booking.pk is not None and not booking._state.adding
    assert _fields(Booking.objects.get(pk=booking.pk)) == _fields(booking)
    assert _fields(Applicant.objects.get(pk=booking.applicant_id)) == _fields(booking.applicant)


def test_the_new_applicant_is_audited_under_its_own_id(online, account):
    booking = book(account, online)
    event = AuditEvent.objects.get(action="applicant.added")
    assert (event.object_type, event.object_id) == ("Applicant", str(booking.applicant_id))
    assert (event.actor, event.actor_label) == (account, account.email)
    assert event.before is None and event.after is None


def test_the_same_person_booked_again_is_not_added_twice(online, account):
    first = book(account, online, serial=1)
    services.cancel_booking(account=account, code=first.code)
    second = book(account, online, serial=1)
    assert second.applicant_id == first.applicant_id
    assert AuditEvent.objects.filter(action="applicant.added").count() == 1


def test_an_outbox_message_already_there_is_kept(online, account):
    booking = book(account, online)
    message = OutboxMessage.objects.get(dedupe_key=f"booking-created:{booking.code}")
    assert message.channel == "email" and message.attempts == 0 and message.last_error == ""
    assert message.created_at == message.next_attempt_at


@pytest.mark.postgres
def test_a_booking_is_three_round_trips_in_its_transaction_on_postgresql(online, account):
    """The account lock, then the read of its applicants; the new applicant with its audit row;
    the booking, its audit row, its outbox message, the live-place claim and the ledger's
    conditional UPDATE."""
    book(account, online, serial=1)  # warms the configuration cache
    with CaptureQueriesContext(connection) as queries:
        book(account, online, serial=2)
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    # The identity check comes before the transaction: one read of the local registry (and,
    # for a NIK it does not know yet, in development, its enrolment).
    identity = [s for s in statements if "identity_residentrecord" in s]
    assert len(identity) == 2 and identity[0].startswith("SELECT")
    statements = [s for s in statements if "identity_residentrecord" not in s]
    assert len(statements) == 3, [s[:80] for s in statements]
    lock, read = statements[0].split(";\n")
    assert lock.endswith("FOR UPDATE") and read.startswith("SELECT")
    assert statements[2].rstrip().endswith('"used" < "capacity"')
    assert statements[2].count("INSERT INTO") == 4


def test_the_booking_rows_come_from_their_own_builders(online, account):
    """The audit and outbox rows of a booking are the ones audit.build and build_message make
    (the same on PostgreSQL's batch and the ORM's one by one)."""
    from loket.core import audit
    from loket.notifications.services import build_message

    booking = book(account, online)
    stored = AuditEvent.objects.get(action="booking.created")
    built = audit.build(
        action="booking.created", obj=booking, actor=account, office=booking.office, at=stored.at
    )
    keep = ("action", "object_type", "object_id", "actor_id", "actor_label", "office_id")
    assert {k: getattr(stored, k) for k in keep} == {k: getattr(built, k) for k in keep}
    message = OutboxMessage.objects.get(dedupe_key=f"booking-created:{booking.code}")
    again = build_message(
        dedupe_key=message.dedupe_key, recipient=message.recipient, subject="s", body="b"
    )
    assert (again.channel, again.recipient) == (message.channel, message.recipient)


def test_only_the_batch_writes_rows_by_hand():
    """No module but loket/core/fastsql.py builds INSERT statements of another app's rows."""
    from pathlib import Path

    package = Path(__file__).resolve().parents[2] / "loket"
    offenders = [
        p.relative_to(package).as_posix()
        for p in package.rglob("*.py")
        if p.name != "fastsql.py"
        and "OutboxMessage(" in p.read_text()
        and p.parent.name != "notifications"
    ]
    assert offenders == []
