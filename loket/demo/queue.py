"""The Karawang demo's office day: stages, lanes, counters 1-4, staff accounts, and one paid
booking for today so the check-in can be tried at once. Loading twice changes nothing."""

import datetime as dt
import json

from django.db import transaction

from loket.accounts.models import User
from loket.accounts.services import create_verified_account
from loket.booking.models import Booking
from loket.booking.payments import sign_payment_notice
from loket.booking.services import ApplicantData, book_appointment, record_payment
from loket.core import clock
from loket.core.errors import DomainError
from loket.demo.office import DEMO_APPLICANT, DEMO_OFFICE
from loket.offices.models import Channel, Office
from loket.offices.selectors import load_channel_plan
from loket.queue import office_setup, staff_roles
from loket.queue.models import QueueSettings, StaffRole

# email, password, role, name
DEMO_STAFF = [
    ("meja@contoh.id", "meja-demo-2026", StaffRole.DESK, "Petugas Meja Informasi"),
    ("loket1@contoh.id", "loket-demo-2026", StaffRole.COUNTER, "Petugas Loket Satu"),
    ("loket2@contoh.id", "loket-demo-2026", StaffRole.COUNTER, "Petugas Loket Dua"),
    ("supervisor@contoh.id", "supervisor-demo-2026", StaffRole.SUPERVISOR, "Supervisor Demo"),
    # The self-service check-in machine in the hall: it opens the kiosk page only.
    ("kiosk@contoh.id", "loket-demo-2026", StaffRole.KIOSK, "Kios Check-in Mandiri"),
]
# number, stages served (None: all)
DEMO_COUNTERS = [
    (1, ["document_check"]),
    (2, ["document_check"]),
    (3, ["photo_interview"]),
    (4, ["payment"]),
]
TODAY_PERSON = ApplicantData(
    nik="3215015507880005",
    name="Dewi Lestari",
    birth_date=dt.date(1988, 7, 15),
    sex="F",
    phone="081234567895",
    domicile_regency="3215",
)


@transaction.atomic
def load_queue_demo() -> list[tuple[str, str, str]]:
    """Set up the demo office's queue and staff; returns (e-mail, password, role) rows."""
    office = Office.objects.get(code=DEMO_OFFICE)
    office_setup.ensure_office_queue(office=office)
    for number, stages in DEMO_COUNTERS:
        if not office.counters.filter(number=number).exists():
            office_setup.save_counter(office=office, number=number, stage_codes=stages)
    QueueSettings.objects.filter(office=office, priority_release_at__isnull=True).update(
        priority_release_at=dt.time(12, 0),
        priority_release_to=Channel.objects.filter(office=office, code="lost-damaged").first(),
    )
    for email, password, role, name in DEMO_STAFF:
        user = User.objects.filter(email=email).first()
        if user is None:
            # Verified: staff use the API too (a supervisor's reports), which needs it.
            user = create_verified_account(email=email, password=password, full_name=name)
        elif not user.is_verified:  # loaded by an older demo, before staff were verified
            user.email_verified_at = clock.now()
            user.save(update_fields=["email_verified_at"])
        staff_roles.grant_role(user=user, office=office, role=role)
    return [(email, password, str(role)) for email, password, role, _name in DEMO_STAFF]


def load_todays_booking() -> Booking | None:
    """One paid booking for today for the demo applicant, made through the booking service as if
    booked yesterday (online booking opens from tomorrow). None when the office is closed today.
    """
    office = Office.objects.get(code=DEMO_OFFICE)
    account = User.objects.filter(email=DEMO_APPLICANT[0]).first()
    if account is None:
        return None
    today = clock.local_today(office.time_zone)
    existing = Booking.objects.filter(account=account, date=today, nik=TODAY_PERSON.nik).first()
    if existing is not None:
        return existing
    channel = Channel.objects.get(office=office, code="online")
    windows = load_channel_plan(channel, today, today).window_plans(today)
    if not windows or all(w.capacity == 0 for w in windows):
        return None
    now_local = clock.local_now(office.time_zone).time()
    current = [w for w in windows if w.end > now_local and w.capacity > 0]
    window = current[0] if current else windows[-1]
    yesterday = clock.now() - dt.timedelta(days=1)
    try:
        with clock.frozen_at(yesterday):
            booking = book_appointment(
                account=account,
                channel=channel,
                day=today,
                window_start=window.start,
                application_type="new",
                purpose="tourism",
                passport_type="ordinary",
                applicant=TODAY_PERSON,
            )
            body = json.dumps(
                {
                    "billing_code": booking.billing_code,
                    "amount": booking.amount,
                    "paid_at": clock.now().isoformat(),
                }
            ).encode()
            return record_payment(body=body, signature=sign_payment_notice(body))
    except DomainError:
        return None
