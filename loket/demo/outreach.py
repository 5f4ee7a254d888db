"""Karawang's outreach demo: teams, PATEN and Purwakarta service days, Simpatik, staff roles.

Loading twice changes nothing: rows are found by their natural keys.
"""

import datetime as dt

from django.db import transaction

from loket.accounts.models import User
from loket.accounts.services import create_verified_account
from loket.core import clock
from loket.offices.models import Channel, ChannelKind, Office, ReleaseRule
from loket.outreach.errors import DayClosed
from loket.outreach.models import (
    OutreachSettings,
    ServiceDayKind,
    ServiceDayOccurrence,
    ServiceDayRule,
    Team,
)
from loket.outreach.service_days import create_one_off_day, generate_occurrences
from loket.queue.models import StaffRole
from loket.queue.staff_roles import grant_role

MOBILE_TEAM = "Tim Layanan Keliling"  # one team: PATEN and Purwakarta never share a day
EAZY_TEAM = "Tim Eazy Passport"
GENERATE_DAYS_AHEAD = 90

# email, password, name, roles at the demo office (the office day's `supervisor@contoh.id`,
# a supervisor there, decides emergency cases too)
DEMO_STAFF = [
    ("koordinator@contoh.id", "koordinator-demo-2026", "Koordinator Demo", [StaffRole.OUTREACH]),
    ("hotline@contoh.id", "hotline-demo-2026", "Petugas Hotline Demo", [StaffRole.HOTLINE]),
    (
        "supervisor-darurat@contoh.id",
        "supervisor-demo-2026",
        "Supervisor Darurat Demo",
        [StaffRole.SUPERVISOR],
    ),
]

# code, kind, name
EXTRA_CHANNELS = [
    ("purwakarta", ChannelKind.EVENT, "Layanan Purwakarta"),
    ("simpatik", ChannelKind.SIMPATIK, "Paspor Simpatik (akhir pekan)"),
]


def _ensure_channel(office: Office, code: str, kind: str, name: str) -> Channel:
    channel, _created = Channel.objects.get_or_create(
        office=office,
        code=code,
        defaults={
            "kind": kind,
            "name": name,
            "release_rule": ReleaseRule.ROLLING,
            "release_days_ahead": 30,
            "horizon_days": 60,
            "min_days_ahead": 0,
        },
    )
    return channel


def _ensure_staff(office: Office) -> list[User]:
    staff = []
    for email, password, name, roles in DEMO_STAFF:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = create_verified_account(email=email, password=password, full_name=name)
        for role in roles:
            grant_role(user=user, office=office, role=role)
        staff.append(user)
    return staff


@transaction.atomic
def load_outreach_demo(office: Office) -> dict[str, int]:
    """Teams, rules and the next 90 days of service days of the demo office."""
    OutreachSettings.objects.get_or_create(office=office, defaults={"min_applicants": 20})
    mobile, _ = Team.objects.get_or_create(office=office, name=MOBILE_TEAM, defaults={"size": 4})
    Team.objects.get_or_create(office=office, name=EAZY_TEAM, defaults={"size": 5})
    paten = Channel.objects.get(office=office, code="paten")
    channels = {c: _ensure_channel(office, c, k, n) for c, k, n in EXTRA_CHANNELS}
    rules = [
        # name, channel, weekday, from, until, location, quota
        (
            "PATEN",
            paten,
            2,
            dt.date(2022, 1, 1),
            dt.date(2022, 12, 31),
            "Kantor Kecamatan (PATEN), Kab. Karawang",
            10,
        ),
        (
            "PATEN",
            paten,
            4,
            dt.date(2023, 1, 1),
            None,
            "Kantor Kecamatan (PATEN), Kab. Karawang",
            10,
        ),
        (
            "Layanan Purwakarta",
            channels["purwakarta"],
            2,
            dt.date(2023, 1, 1),
            None,
            "Mal Pelayanan Publik Purwakarta",
            30,
        ),
    ]
    today = clock.local_today(office.time_zone)
    end = today + dt.timedelta(days=GENERATE_DAYS_AHEAD)
    made = 0
    for name, channel, weekday, valid_from, valid_until, location, quota in rules:
        rule, _ = ServiceDayRule.objects.get_or_create(
            office=office,
            channel=channel,
            name=name,
            weekday=weekday,
            valid_from=valid_from,
            defaults={
                "kind": ServiceDayKind.EVENT,
                "valid_until": valid_until,
                "location": location,
                "quota": quota,
                "team": mobile,
            },
        )
        made += len(generate_occurrences(rule=rule, start=today, end=end))
    if not ServiceDayOccurrence.objects.filter(channel=channels["simpatik"]).exists():
        saturday = today + dt.timedelta(days=(5 - today.weekday()) % 7 + 7)
        for _attempt in range(8):
            try:
                create_one_off_day(
                    office=office,
                    channel=channels["simpatik"],
                    name="Paspor Simpatik",
                    day=saturday,
                    location="Kantor Imigrasi Karawang (akhir pekan)",
                    quota=50,
                )
                made += 1
                break
            except DayClosed:  # a closed Saturday: try the next one
                saturday += dt.timedelta(days=7)
    staff = _ensure_staff(office)
    return {"service_days": made, "staff": len(staff)}
