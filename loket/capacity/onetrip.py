"""A booking's place and rows in one round trip (PostgreSQL): the ledger's database function.

`book_place()` is the only caller of `loket_book_place`, which the migration capacity.0004
creates from the models (`function_sql`). In the caller's transaction, in this order, it:

1. locks the account row (the applicant list's lock, as accounts.save_applicant), then, in a
   statement of its own (a fresh snapshot: READ COMMITTED), finds the person among the
   account's applicants, or adds them at the first free position with their `applicant.added`
   audit row; a person whose stored fields differ, or a full list, is left to the caller
   (status "applicant": it runs accounts.save_applicant under the same lock and calls again
   with the applicant's id);
2. inserts the booking, its audit row, its outbox message (kept if already there) and the
   person's live-place claim (capacity.live: the unique NIK refuses a second live place);
3. takes the place by the ledger's conditional UPDATE (`take_place_statement`), last, so the
   hot slot row is locked only until the commit; status "full" when no place was free.

Every row is built by its own builder in Python (the booking, core.audit.build,
notifications' build_message, live.new_claim, accounts.new_applicant), its values prepared by
its fields as loket.core.fastsql does, and passed as JSON; the function only fills in the ids
it makes (the applicant's position and id, the booking's id). A unique index or a check
refuses with the same IntegrityError, naming the same constraint, as the ORM's statements.
The function's column lists come from the models: tests/capacity/test_onetrip.py fails when
a model changed and no migration re-created the function (run `function_sql` again in one).
"""

import datetime as dt
import json
from dataclasses import dataclass

from django.conf import settings
from django.db import connections, router
from psycopg.types.json import Jsonb

from loket.capacity import services as ledger
from loket.capacity.models import CapacitySlot
from loket.core import fastsql

FUNCTION = "loket_book_place"

# The rows, by their key in the JSON argument, and what the function fills in for each.
APPLICANT, APPLICANT_AUDIT, BOOKING, AUDIT, MESSAGE, CLAIM = (
    "applicant",
    "applicant_audit",
    "booking",
    "audit",
    "message",
    "claim",
)


# What the function answers.
BOOKED, FULL, NEEDS_APPLICANT = "booked", "full", "applicant"


def enabled() -> bool:
    """PostgreSQL: bookings go through the function; elsewhere the ORM's path."""
    return fastsql.enabled(CapacitySlot)


@dataclass(frozen=True)
class BookedPlace:
    status: str  # BOOKED, FULL (nothing kept: the caller rolls back), NEEDS_APPLICANT
    applicant_id: int | None
    applicant_position: int | None
    applicant_created_at: dt.datetime | None
    booking_id: int | None


def _jsonable(value):
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, Jsonb):
        return value.obj if value.dumps is json.dumps else json.loads(value.dumps(value.obj))
    raise TypeError(f"{type(value).__name__} cannot be passed to {FUNCTION}")


def _row(obj, connection) -> dict:
    """Column -> value of an unsaved row, prepared by its fields (as fastsql's INSERT)."""
    insert = fastsql.row_insert(type(obj), returning_pk=False)
    return dict(zip(insert.columns, insert.values(obj, connection), strict=True))


def book_place(
    *,
    slot_id: int,
    booking,
    audit_row,
    message,
    claim,
    applicant=None,
    applicant_fields: dict | None = None,
    applicant_audit=None,
    applicant_id: int | None = None,
) -> BookedPlace:
    """Take a place in `slot_id` with the booking's rows, in one round trip, in the caller's
    transaction (see the module's docstring).

    Either `applicant` (the person as accounts.new_applicant builds them, position unset),
    `applicant_fields` (the fields save_applicant compares) and `applicant_audit` (its
    `applicant.added` row, object id empty), or `applicant_id` (the caller has saved the
    person under the account's lock).

    Locks: the account row (unless `applicant_id`), the NIK's entries of the unique indexes,
    then the slot row, last.
    """
    connection = connections[router.db_for_write(CapacitySlot)]
    rows = {
        BOOKING: _row(booking, connection),
        AUDIT: _row(audit_row, connection),
        MESSAGE: _row(message, connection),
        CLAIM: _row(claim, connection),
    }
    if applicant_id is None:
        rows[APPLICANT] = _row(applicant, connection)
        rows[APPLICANT_AUDIT] = _row(applicant_audit, connection)
        rows["applicant_fields"] = applicant_fields
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT * FROM {FUNCTION}(%s, %s, %s, %s)",
            [
                slot_id,
                applicant_id,
                settings.LOKET_MAX_APPLICANTS_PER_ACCOUNT,
                json.dumps(rows, default=_jsonable),
            ],
        )
        return BookedPlace(*cursor.fetchone())


# The function, generated from the models (the migration passes its historical ones).


def _columns(model) -> list[str]:
    """Sorted: a migration's historical model lists its fields in another order."""
    meta = model._meta
    return sorted(f.column for f in meta.concrete_fields if f is not meta.auto_field)


def _insert(model, key: str, overrides: dict[str, str] | None = None, tail: str = "") -> str:
    """INSERT of the row under `key` of the JSON argument, typed by the table's own row type;
    `overrides`: column -> the function's variable that fills it."""
    overrides = overrides or {}
    table = model._meta.db_table
    columns = _columns(model)
    values = ", ".join(overrides.get(c, f'r."{c}"') for c in columns)
    quoted = ", ".join(f'"{c}"' for c in columns)
    return (
        f'INSERT INTO "{table}" ({quoted})\n'
        f"        SELECT {values}\n"
        f"        FROM jsonb_populate_record(NULL::\"{table}\", p_rows->'{key}') AS r{tail}"
    )


def function_body(*, account, applicant, audit, booking, message, claim, slot) -> str:
    """The body of the function (pg_proc.prosrc) for these models."""
    user_table = account._meta.db_table
    applicant_table = applicant._meta.db_table
    account_column = applicant._meta.get_field("account").column
    position_column = applicant._meta.get_field("position").column
    nik_column = applicant._meta.get_field("nik").column
    created_column = applicant._meta.get_field("created_at").column
    object_id_column = audit._meta.get_field("object_id").column
    booking_applicant = booking._meta.get_field("applicant").column
    insert_applicant = _insert(
        applicant,
        APPLICANT,
        {position_column: "o_position"},
        f' RETURNING "id", "{created_column}" INTO o_applicant, o_created_at',
    )
    insert_applicant_audit = _insert(
        audit, APPLICANT_AUDIT, {object_id_column: "o_applicant::text"}
    )
    insert_booking = _insert(
        booking, BOOKING, {booking_applicant: "o_applicant"}, ' RETURNING "id" INTO o_booking'
    )
    take_place, _params = ledger.take_place_statement(0)
    take_place = take_place.replace('"id" = %s', '"id" = p_slot').replace(
        f'"{CapacitySlot._meta.db_table}"', f'"{slot._meta.db_table}"'
    )
    return f"""
DECLARE
    v_account bigint;
    v_nik text;
    v_old "{applicant_table}";
BEGIN
    o_applicant := p_applicant;
    IF o_applicant IS NULL THEN
        v_account := (p_rows->'{APPLICANT}'->>'{account_column}')::bigint;
        v_nik := p_rows->'{APPLICANT}'->>'{nik_column}';
        PERFORM 1 FROM "{user_table}" WHERE "id" = v_account FOR UPDATE;
        SELECT * INTO v_old FROM "{applicant_table}"
        WHERE "{account_column}" = v_account AND "{nik_column}" = v_nik;
        IF FOUND THEN
            IF NOT to_jsonb(v_old) @> (p_rows->'applicant_fields') THEN
                o_status := '{NEEDS_APPLICANT}';
                RETURN;
            END IF;
            o_applicant := v_old."id";
            o_position := v_old."{position_column}";
            o_created_at := v_old."{created_column}";
        ELSE
            SELECT p INTO o_position FROM generate_series(1, p_max_applicants) AS p
            WHERE p NOT IN (
                SELECT "{position_column}" FROM "{applicant_table}"
                WHERE "{account_column}" = v_account
            )
            ORDER BY p LIMIT 1;
            IF o_position IS NULL THEN
                o_status := '{NEEDS_APPLICANT}';
                RETURN;
            END IF;
            {insert_applicant};
            {insert_applicant_audit};
        END IF;
    END IF;
    {insert_booking};
    {_insert(audit, AUDIT)};
    {_insert(message, MESSAGE, tail=" ON CONFLICT DO NOTHING")};
    {_insert(claim, CLAIM)};
    {take_place};
    o_status := CASE WHEN FOUND THEN '{BOOKED}' ELSE '{FULL}' END;
END
"""


SIGNATURE = (
    f"{FUNCTION}(p_slot bigint, p_applicant bigint, p_max_applicants integer, p_rows jsonb, "
    "OUT o_status text, OUT o_applicant bigint, OUT o_position integer, "
    "OUT o_created_at timestamptz, OUT o_booking bigint)"
)


def function_sql(**models) -> str:
    """CREATE OR REPLACE of the function for these models (see function_body)."""
    return (
        f"CREATE OR REPLACE FUNCTION {SIGNATURE}\n"
        f"LANGUAGE plpgsql AS $function${function_body(**models)}$function$"
    )


DROP_SQL = f"DROP FUNCTION IF EXISTS {FUNCTION}(bigint, bigint, integer, jsonb)"
