"""The ledger's booking function (loket.capacity.onetrip, PostgreSQL) writes exactly the rows the
ORM's path writes, and refuses with exactly its answers."""

import dataclasses
import datetime as dt

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from loket.accounts import services as accounts
from loket.accounts.models import Applicant
from loket.booking import domain, gates
from loket.booking.models import Booking
from loket.capacity import onetrip
from loket.capacity import services as ledger
from loket.capacity.models import CapacitySlot, LivePlace
from loket.core.errors import DomainError
from loket.core.models import AuditEvent
from loket.notifications.models import OutboxMessage
from loket.offices.models import CapacityOverride
from tests.helpers import THURSDAY, WEDNESDAY, book, person

pytestmark = pytest.mark.postgres


def _models() -> dict:
    return {
        "account": apps.get_model("accounts", "User"),
        "applicant": Applicant,
        "audit": AuditEvent,
        "booking": Booking,
        "message": OutboxMessage,
        "claim": LivePlace,
        "slot": CapacitySlot,
    }


def test_the_installed_function_is_the_one_the_models_make(db):
    """A model changed without a migration that re-creates the function fails here: add one
    that runs loket.capacity.onetrip.function_sql with its models (see capacity.0004)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = %s", [onetrip.FUNCTION])
        installed = [row[0] for row in cursor.fetchall()]
    assert installed == [onetrip.function_body(**_models())]


def _row(obj, *skip: str) -> dict:
    return {
        f.attname: getattr(obj, f.attname)
        for f in type(obj)._meta.concrete_fields
        if f.attname not in ("id", *skip)
    }


def _written(before_audit: int, booking: Booking) -> dict:
    """Every row the booking wrote, column by column, ids left out (the applicant's own id is
    where the audit trail names it)."""
    stored = Booking.objects.get(code=booking.code)
    applicant = Applicant.objects.get(pk=stored.applicant_id)
    events = []
    for event in AuditEvent.objects.filter(pk__gt=before_audit).order_by("pk"):
        row = _row(event)
        if row["object_id"] == str(applicant.pk) and row["object_type"] == "Applicant":
            row["object_id"] = "<the applicant>"
        events.append(row)
    return {
        "booking": _row(stored, "applicant_id"),
        "applicant": _row(applicant),
        "audit": events,
        "message": _row(OutboxMessage.objects.get(dedupe_key=f"booking-created:{booking.code}")),
        "claim": _row(LivePlace.objects.get(holder=f"booking:{booking.code}")),
        "slot_used": CapacitySlot.objects.get(pk=stored.slot_id).used,
        "answered": {
            "pk": booking.pk == stored.pk,
            "applicant": _row(booking.applicant) == _row(applicant),
            "applicant_pk": booking.applicant.pk == applicant.pk,
        },
    }


@pytest.fixture
def wednesday(online):
    """Wednesday's ledger rows, there before the savepoints (a row made inside one would be
    rolled back while its id stays in the configuration cache)."""
    ledger.ensure_day_slots(channel=online, day=WEDNESDAY)


def _book_both_ways(monkeypatch, book_it) -> tuple[dict, dict]:
    """The same request through the ORM's path and through the function, each in a savepoint
    rolled back after its rows are read: the same codes, the same clock."""
    fixed = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: fixed)  # auto_now_add
    monkeypatch.setattr(domain, "new_booking_code", lambda: "SAMECODE01")
    monkeypatch.setattr(domain, "new_billing_code", lambda: "123456789012345")
    results = []
    for one_trip in (False, True):
        monkeypatch.setattr(onetrip, "enabled", lambda one_trip=one_trip: one_trip)
        before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        savepoint = transaction.savepoint()
        with CaptureQueriesContext(connection) as queries:
            booking = book_it()
        uses_function = any(onetrip.FUNCTION in q["sql"] for q in queries.captured_queries)
        assert uses_function == one_trip
        results.append(_written(before, booking))
        transaction.savepoint_rollback(savepoint)
    return results[0], results[1]


def test_a_new_person_is_written_the_same_both_ways(online, account, monkeypatch, wednesday):
    orm, function = _book_both_ways(monkeypatch, lambda: book(account, online, serial=1))
    assert function == orm
    assert [e["action"] for e in orm["audit"]] == ["applicant.added", "booking.created"]
    assert orm["applicant"]["position"] == 1 and orm["slot_used"] == 1


def test_a_person_already_on_the_account_is_written_the_same_both_ways(
    online, account, monkeypatch, wednesday
):
    book(account, online, serial=1)
    book(account, online, serial=2)
    known = person(serial=3)
    with transaction.atomic():
        accounts.save_applicant(
            account=account,
            nik=known.nik,
            name=known.name,
            birth_date=known.birth_date,
            sex=known.sex,
            phone=known.phone,
            domicile_regency=known.domicile_regency,
            married=known.married,
            today=dt.date(2026, 12, 1),
        )
    orm, function = _book_both_ways(monkeypatch, lambda: book(account, online, applicant=known))
    assert function == orm
    assert [e["action"] for e in orm["audit"]] == ["booking.created"]
    assert orm["applicant"]["position"] == 3


def test_a_person_whose_details_changed_is_updated_the_same_both_ways(
    online, account, monkeypatch, wednesday
):
    """The function leaves a changed person to the account's own rule (save_applicant)."""
    known = person(serial=1)
    with transaction.atomic():
        accounts.save_applicant(
            account=account,
            **{k: v for k, v in dataclasses.asdict(known).items() if k != "phone"},
            phone="0811111111",
            today=dt.date(2026, 12, 1),
        )
    orm, function = _book_both_ways(monkeypatch, lambda: book(account, online, applicant=known))
    assert function == orm
    assert [e["action"] for e in orm["audit"]] == ["applicant.updated", "booking.created"]
    assert orm["applicant"]["phone"] == known.phone


def _code_both_ways(monkeypatch, book_it) -> tuple[str, str]:
    codes = []
    for one_trip in (False, True):
        monkeypatch.setattr(onetrip, "enabled", lambda one_trip=one_trip: one_trip)
        with pytest.raises(DomainError) as refused:
            book_it()
        codes.append(refused.value.code)
    return codes[0], codes[1]


def test_a_full_window_is_refused_the_same_both_ways_and_leaves_nothing(
    online, account, other_account, monkeypatch
):
    """The function inserts the rows before it asks the ledger for the place (the slot row is
    locked last): a refusal rolls every one of them back."""
    CapacityOverride.objects.create(channel=online, date=THURSDAY, capacity=1)
    book(account, online, day=THURSDAY, window=dt.time(8, 0), serial=1)
    rows = (
        Booking.objects.count(),
        Applicant.objects.count(),
        LivePlace.objects.count(),
        OutboxMessage.objects.count(),
        AuditEvent.objects.count(),
    )
    monkeypatch.setattr(settings, "LOKET_FULL_FLAG", False)  # the ledger itself refuses
    orm, function = _code_both_ways(
        monkeypatch,
        lambda: book(other_account, online, day=THURSDAY, window=dt.time(8, 0), serial=2),
    )
    assert orm == function == "quota_exhausted"
    assert (
        Booking.objects.count(),
        Applicant.objects.count(),
        LivePlace.objects.count(),
        OutboxMessage.objects.count(),
        AuditEvent.objects.count(),
    ) == rows


def test_a_nik_with_a_live_booking_is_refused_the_same_both_ways(
    online, account, other_account, monkeypatch
):
    book(account, online, serial=1)
    assert _code_both_ways(monkeypatch, lambda: book(account, online, serial=1)) == (
        "active_booking_exists",
        "active_booking_exists",
    )
    # Another account is told no more than a mismatch.
    assert _code_both_ways(monkeypatch, lambda: book(other_account, online, serial=1)) == (
        "identity_not_confirmed",
        "identity_not_confirmed",
    )


def test_a_place_held_in_another_channel_is_named_the_same_both_ways(online, account, monkeypatch):
    from loket.capacity import live
    from loket.offices.models import ChannelKind

    held = person(serial=1)
    with transaction.atomic():
        live.claim(
            nik=held.nik,
            kind=ChannelKind.PRIORITY,
            holder="ticket:1",
            office=online.office,
            day=WEDNESDAY,
        )
    messages = []
    for one_trip in (False, True):
        monkeypatch.setattr(onetrip, "enabled", lambda one_trip=one_trip: one_trip)
        with pytest.raises(live.LivePlaceExists) as refused:
            book(account, online, applicant=held)
        messages.append(str(refused.value))
    assert messages[0] == messages[1] and "priority walk-in" in messages[0]


def _fill_account(account, online) -> None:
    for serial in range(1, 6):
        book(account, online, serial=serial)


def test_a_full_applicant_list_is_refused_the_same_both_ways(online, account, monkeypatch):
    _fill_account(account, online)
    assert _code_both_ways(monkeypatch, lambda: book(account, online, serial=6)) == (
        "applicant_limit_reached",
        "applicant_limit_reached",
    )


class _GateRefused(DomainError, code="test_gate_refused", status=409):
    message = "refused by the test's gate"


def _refusing_gate(**_kwargs) -> None:
    raise _GateRefused()


def test_a_full_applicant_list_comes_before_the_gates_both_ways(online, account, monkeypatch):
    """The gates (a fair release's admission) run after the applicant's row on the ORM's path;
    the function's path runs them first and keeps the same order of refusals."""
    monkeypatch.setitem(gates._gates, "test", _refusing_gate)
    assert _code_both_ways(monkeypatch, lambda: book(account, online, serial=1)) == (
        "test_gate_refused",
        "test_gate_refused",
    )
    monkeypatch.delitem(gates._gates, "test")
    _fill_account(account, online)
    monkeypatch.setitem(gates._gates, "test", _refusing_gate)
    assert _code_both_ways(monkeypatch, lambda: book(account, online, serial=6)) == (
        "applicant_limit_reached",
        "applicant_limit_reached",
    )
    assert Applicant.objects.filter(account=account).count() == 5


def test_a_booking_is_one_statement_in_its_transaction(online, account):
    """The applicant, the booking, its audit row, its outbox message, the live-place claim and
    the ledger's conditional UPDATE: one call of the function."""
    book(account, online, serial=1)  # warms the configuration cache
    with CaptureQueriesContext(connection) as queries:
        book(account, online, serial=2)
    statements = [
        q["sql"]
        for q in queries.captured_queries
        if "SAVEPOINT" not in q["sql"] and "identity_residentrecord" not in q["sql"]
    ]
    assert len(statements) == 1 and onetrip.FUNCTION in statements[0], statements


def test_the_ledger_is_the_only_caller_of_the_function():
    from pathlib import Path

    package = Path(onetrip.__file__).resolve().parents[1]
    callers = sorted(
        p.relative_to(package).as_posix()
        for p in package.rglob("*.py")
        if "loket_book_place" in p.read_text() and "/migrations/" not in p.as_posix()
    )
    assert callers == ["capacity/onetrip.py"]
