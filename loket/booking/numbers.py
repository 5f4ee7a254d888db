"""Application numbers: OFFICE-YYYYMMDD-NNNN, e.g. KRW-20261201-0042.

The date is the office's local date on which the booking was confirmed (paid), and NNNN the
order of that confirmation among the office's confirmations of that day, from 0001 (more than
9999 in a day widens it). The number names the application, not the appointment: it is given
once and kept through a reschedule, so the printed proof and its QR code stay valid; the
appointment date is printed beside it wherever it is shown. Unique by the database
(`booking.application_number`), and the sequence is taken in one statement, so two payments
confirmed at the same moment never get the same number.
"""

import datetime as dt

from django.db import connections, router

from loket.booking.models import ApplicationNumberSequence
from loket.core import clock
from loket.offices.models import Office


def format_application_number(*, office_code: str, day: dt.date, sequence: int) -> str:
    return f"{office_code}-{day:%Y%m%d}-{sequence:04d}"


def next_sequence(*, office_id: int, day: dt.date) -> int:
    """The next number of (office, day): one INSERT ... ON CONFLICT DO UPDATE ... RETURNING,
    which takes the row's lock (PostgreSQL) or the database's write lock (SQLite) until the
    caller's transaction ends; never read, add and write back."""
    table = ApplicationNumberSequence._meta.db_table
    connection = connections[router.db_for_write(ApplicationNumberSequence)]
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{table}" ("office_id", "day", "last") VALUES (%s, %s, 1) '
            f'ON CONFLICT ("office_id", "day") DO UPDATE SET "last" = "{table}"."last" + 1 '
            'RETURNING "last"',
            [office_id, day],
        )
        return cursor.fetchone()[0]


def issue_application_number(*, office: Office) -> str:
    """A new number for a booking confirmed now at `office`. Call inside its transaction."""
    day = clock.local_today(office.time_zone)
    sequence = next_sequence(office_id=office.pk, day=day)
    return format_application_number(office_code=office.code, day=day, sequence=sequence)
