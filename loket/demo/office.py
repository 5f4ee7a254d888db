"""The Karawang demo office: configuration, demo accounts and a handful of sample bookings.

Loading twice changes nothing: rows are found by their natural keys.
"""

import datetime as dt
import json

from django.db import transaction

from loket.accounts.models import User
from loket.accounts.services import create_verified_account
from loket.booking.payments import sign_payment_notice
from loket.booking.services import ApplicantData, book_appointment, record_payment
from loket.capacity.selectors import list_availability
from loket.core import clock
from loket.offices.models import (
    ArrivalWindow,
    Channel,
    ChannelKind,
    Closure,
    Office,
    ReleaseRule,
    Tariff,
    WeekdayCapacity,
    WorkingAreaRegency,
)

DEMO_OFFICE = "KRW"
DEMO_APPLICANT = ("pemohon@contoh.id", "pemohon-demo-2026")
DEMO_ADMIN = ("admin@contoh.id", "admin-demo-2026")
# The README's API walk-through books for a new person: an account with room for one.
DEMO_API_APPLICANT = ("api@contoh.id", "api-demo-2026")

# PP 45/2024, in force from December 2024.
DEFAULT_TARIFFS = {
    "ordinary_5": 350_000,
    "ordinary_10": 650_000,
    "electronic_5": 650_000,
    "electronic_10": 950_000,
    "same_day": 1_000_000,
    "lost_charge": 1_000_000,
    "damaged_charge": 500_000,
}
WEEKDAYS = range(5)

CHANNELS = [
    # code, kind, name, per weekday, types (new, repl, lost, damaged), extra
    ("online", ChannelKind.ONLINE, "Janji temu online", 170, (True, True, False, False), {}),
    ("priority", ChannelKind.PRIORITY, "Layanan prioritas", 20, (True, True, True, True), {}),
    (
        "lost-damaged",
        ChannelKind.LOST_DAMAGED,
        "Paspor hilang/rusak",
        10,
        (False, False, True, True),
        {},
    ),
    ("outreach", ChannelKind.OUTREACH, "Eazy Passport", 0, (True, True, False, False), {}),
    ("paten", ChannelKind.EVENT, "Layanan PATEN", 0, (True, True, False, False), {"friday": 10}),
    ("emergency", ChannelKind.EMERGENCY, "Layanan darurat", 0, (True, True, True, True), {}),
    # Examination (BAP) dates of lost/damaged passports: their own daily places.
    ("bap", ChannelKind.BAP, "Pemeriksaan BAP", 10, (False, False, True, True), {}),
]

SAMPLE_PEOPLE = [
    # nik, name, birth date, sex, regency of the KTP address, purpose
    ("3215011205900001", "Budi Santoso", dt.date(1990, 5, 12), "M", "3215", "apprenticeship"),
    ("3215014308920002", "Siti Rahmawati", dt.date(1992, 8, 3), "F", "3215", "tourism"),
    ("3214012101850003", "Agus Setiawan", dt.date(1985, 1, 21), "M", "3214", "umrah"),
    ("3215011003150004", "Rizki Santoso", dt.date(2015, 3, 10), "M", "3215", "family_visit"),
]


def ensure_tariffs() -> None:
    for item, amount in DEFAULT_TARIFFS.items():
        Tariff.objects.get_or_create(
            item=item,
            valid_from=dt.date(2024, 12, 1),
            defaults={"amount": amount, "legal_basis": "PP 45/2024"},
        )


@transaction.atomic
def load_office() -> Office:
    office, _ = Office.objects.get_or_create(
        code=DEMO_OFFICE,
        defaults={
            "name": "Kantor Imigrasi Kelas I Non TPI Karawang",
            "address": "Jl. Jend. A. Yani No. 18, Karawang Barat, Kab. Karawang, Jawa Barat",
            "time_zone": "Asia/Jakarta",
            "hotline": "0812-0000-0000 (demo)",
            "opens_at": dt.time(8, 0),
            "closes_at": dt.time(16, 0),
        },
    )
    for regency in ("3215", "3214"):
        WorkingAreaRegency.objects.get_or_create(office=office, regency_code=regency)
    for code, kind, name, per_day, types, extra in CHANNELS:
        channel, created = Channel.objects.get_or_create(
            office=office,
            code=code,
            defaults={
                "kind": kind,
                "name": name,
                "allows_new": types[0],
                "allows_replacement": types[1],
                "allows_lost": types[2],
                "allows_damaged": types[3],
                "release_rule": ReleaseRule.ROLLING,
                "release_days_ahead": 30,
                "horizon_days": 60,
                "min_days_ahead": 1 if kind in (ChannelKind.ONLINE, ChannelKind.BAP) else 0,
            },
        )
        if not created:
            continue
        for weekday in WEEKDAYS:
            WeekdayCapacity.objects.create(channel=channel, weekday=weekday, capacity=per_day)
        if extra.get("friday"):
            WeekdayCapacity.objects.filter(channel=channel, weekday=4).update(
                capacity=extra["friday"]
            )
        if kind == ChannelKind.ONLINE:
            for hour in range(8, 15):
                ArrivalWindow.objects.create(
                    channel=channel, start=dt.time(hour, 0), end=dt.time(hour + 1, 0), weight=1
                )
    Closure.objects.get_or_create(
        office=office,
        date=dt.date(2026, 12, 31),
        defaults={"reason": "Tutup buku akhir tahun (contoh penutupan kantor)"},
    )
    ensure_tariffs()
    return office


def load_accounts() -> User:
    admin_email, admin_password = DEMO_ADMIN
    admin = User.objects.filter(email=admin_email).first()
    if admin is None:
        admin = User.objects.create_superuser(admin_email, admin_password, full_name="Admin Demo")
    if not admin.is_verified:  # every demo account works on the API too
        admin.email_verified_at = clock.now()
        admin.save(update_fields=["email_verified_at"])
    api_email, api_password = DEMO_API_APPLICANT
    if not User.objects.filter(email=api_email).exists():
        create_verified_account(email=api_email, password=api_password, full_name="Dewi Lestari")
    email, password = DEMO_APPLICANT
    applicant = User.objects.filter(email=email).first()
    if applicant is None:
        applicant = create_verified_account(
            email=email, password=password, full_name="Budi Santoso"
        )
    return applicant


def load_sample_bookings(office: Office, account: User) -> int:
    """Book the sample people on the first open days, through the booking service."""
    if account.bookings.exists():
        return 0
    channel = Channel.objects.get(office=office, code="online")
    today = clock.local_today(office.time_zone)
    open_days = [
        d
        for d in list_availability(channel=channel, start=today, end=today + dt.timedelta(days=30))
        if d.status == "open"
    ]
    made = 0
    for i, (nik, name, birth, sex, regency, purpose) in enumerate(SAMPLE_PEOPLE):
        if not open_days:
            break
        day = open_days[min(i // 2, len(open_days) - 1)]
        window = day.windows[i % len(day.windows)]
        booking = book_appointment(
            account=account,
            channel=channel,
            day=day.date,
            window_start=window.start,
            application_type="new" if i % 2 == 0 else "replacement",
            purpose=purpose,
            passport_type="electronic" if i == 1 else "ordinary",
            applicant=ApplicantData(
                nik=nik,
                name=name,
                birth_date=birth,
                sex=sex,
                phone=f"08123456780{i}",
                domicile_regency=regency,
            ),
        )
        if i < 2:  # two paid, two awaiting payment
            body = json.dumps(
                {
                    "billing_code": booking.billing_code,
                    "amount": booking.amount,
                    "paid_at": clock.now().isoformat(),
                }
            ).encode()
            record_payment(body=body, signature=sign_payment_notice(body))
        made += 1
    return made
