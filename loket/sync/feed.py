"""The central site's feed to an office node: what changed for the office, numbered per office.

A change is recorded (`record_change`) in the transaction that makes it, by the listeners of the
booking lifecycle's events, of the emergency hotline's events and of configuration saves; it
gets its per-office number when the feed is read (`number_changes`, under the office's feed row
lock), so a number is only ever given to a committed change and a reader never skips one that
commits late. An item carries the row as it is when read: applying it twice, or an older one
after it, changes nothing.
"""

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import serializers
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from loket.accounts.models import Applicant
from loket.booking.models import Booking
from loket.capacity import services as ledger
from loket.capacity.live import holder_of
from loket.capacity.models import CapacitySlot, LivePlace
from loket.core import clock
from loket.offices.models import (
    ArrivalWindow,
    CapacityOverride,
    Channel,
    Closure,
    Office,
    Tariff,
    WeekdayCapacity,
    WorkingAreaRegency,
)
from loket.outreach.models import EmergencyCase
from loket.queue.models import Counter, Lane, QueueSettings, Stage
from loket.staff.models import StaffMembership
from loket.sync.models import CentralChange, OfficeFeed, SyncFlag
from loket.sync.ownership import ROLE_OFFICE

BOOKING = "booking.booking"
CONFIG = "config"
FLAG = "sync.syncflag"
DEVICE = "otp_totp.totpdevice"
EMERGENCY_CASE = "outreach.emergencycase"


def is_office_node() -> bool:
    return getattr(settings, "LOKET_ROLE", "central") == ROLE_OFFICE


def node_office_ids() -> set[int]:
    """The offices that run a node (those with a key in LOKET_SYNC_KEYS)."""
    codes = [
        part.partition("=")[0].strip().upper()
        for part in settings.LOKET_SYNC_KEYS.split(",")
        if "=" in part
    ]
    if not codes:
        return set()
    return set(Office.objects.filter(code__in=codes).values_list("pk", flat=True))


def record_change(*, office_id: int, model: str, object_pk: str) -> None:
    """Note that a row of the office changed, in the caller's transaction (central site only)."""
    if is_office_node() or not node_office_ids():
        return
    if office_id not in node_office_ids():
        return
    if (
        model == CONFIG
        and CentralChange.objects.filter(
            office_id=office_id, model=CONFIG, seq__isnull=True
        ).exists()
    ):
        return
    CentralChange.objects.create(
        office_id=office_id, model=model, object_pk=object_pk, created_at=clock.now()
    )


def number_changes(office: Office) -> int:
    """Give the office's committed, unnumbered changes their numbers, in the order they were
    written. Locks the office's feed row. Returns the office's last number."""
    with transaction.atomic():
        feed, _ = OfficeFeed.objects.get_or_create(office=office)
        feed = OfficeFeed.objects.select_for_update().get(pk=feed.pk)
        pending = list(
            CentralChange.objects.filter(office=office, seq__isnull=True)
            .order_by("id")
            .values_list("id", flat=True)
        )
        for change_id in pending:
            feed.last_seq += 1
            CentralChange.objects.filter(pk=change_id).update(seq=feed.last_seq)
        feed.last_pull_at = clock.now()
        feed.save(update_fields=["last_seq", "last_pull_at"])
        return feed.last_seq


def _rows(objects) -> list[dict]:
    return serializers.serialize("python", objects)


def _users(users) -> list[dict]:
    """Accounts as the node needs them: staff keep their password (they log in at the node),
    applicants' accounts carry no password (they never log in there)."""
    rows = _rows(users)
    staff_ids = set(StaffMembership.objects.values_list("user_id", flat=True))
    for row in rows:
        if row["pk"] not in staff_ids:
            row["fields"]["password"] = "!"
    return rows


def live_place_item(holder: str) -> dict:
    place = LivePlace.objects.filter(holder=holder).first()
    fields = None
    if place is not None:
        fields = {k: v for k, v in _rows([place])[0]["fields"].items()}
    return {"model": "capacity.liveplace", "holder": holder, "fields": fields}


def booking_items(bookings) -> list[dict]:
    """Each booking with what the desk needs to check it in: its person, account and slot."""
    bookings = list(bookings)
    if not bookings:
        return []
    user_model = get_user_model()
    items = _users(user_model.objects.filter(pk__in={b.account_id for b in bookings}))
    items += _rows(Applicant.objects.filter(pk__in={b.applicant_id for b in bookings}))
    items += _rows(CapacitySlot.objects.filter(pk__in={b.slot_id for b in bookings}))
    items += _rows(bookings)
    items += [live_place_item(holder_of(b)) for b in bookings]
    return items


def case_items(office: Office, cases) -> list[dict]:
    """Each emergency case with the accounts it names (who recorded and decided it: a password
    only for the office's own staff, who log in at the node) and its live place."""
    cases = list(cases)
    if not cases:
        return []
    user_ids = {c.recorded_by_id for c in cases}
    user_ids |= {c.decided_by_id for c in cases if c.decided_by_id is not None}
    staff_ids = set(StaffMembership.objects.filter(office=office).values_list("user_id", flat=True))
    users = _rows(get_user_model().objects.filter(pk__in=user_ids))
    for row in users:
        if row["pk"] not in staff_ids:
            row["fields"]["password"] = "!"
    return [*users, *_rows(cases), *[live_place_item(holder_of(c)) for c in cases]]


def config_items(office: Office) -> list[dict]:
    channels = Channel.objects.filter(office=office)
    staff = StaffMembership.objects.filter(office=office)
    return [
        *_rows([office]),
        *_rows(WorkingAreaRegency.objects.filter(office=office)),
        *_rows(channels),
        *_rows(WeekdayCapacity.objects.filter(channel__in=channels)),
        *_rows(ArrivalWindow.objects.filter(channel__in=channels)),
        *_rows(CapacityOverride.objects.filter(channel__in=channels)),
        *_rows(Closure.objects.filter(office=office)),
        *_rows(Tariff.objects.all()),
        *_rows(QueueSettings.objects.filter(office=office)),
        *_rows(Stage.objects.filter(office=office)),
        *_rows(Lane.objects.filter(office=office)),
        *_rows(Counter.objects.filter(office=office)),
        *_users(get_user_model().objects.filter(pk__in=staff.values("user_id"))),
        *_rows(staff),
        # Their confirmed two-factor devices (the secret included: the node checks the codes).
        *_rows(TOTPDevice.objects.filter(user__in=staff.values("user_id"), confirmed=True)),
    ]


def horizon(office: Office) -> tuple[dt.date, dt.date]:
    today = clock.local_today(office.time_zone)
    return today, today + dt.timedelta(days=settings.LOKET_SYNC_HORIZON_DAYS)


def snapshot(office: Office) -> dict:
    """Everything a node starts from: the configuration, the ledger rows of the coming days
    (materialised here first, so that the node never has to number a slot of its own), the
    bookings of those days. `seq`: the feed number the node follows on from."""
    seq = number_changes(office)
    first, last = horizon(office)
    with transaction.atomic():
        for channel in Channel.objects.filter(office=office):
            day = first
            while day <= last:
                ledger.ensure_day_slots(channel=channel, day=day)
                day += dt.timedelta(days=1)
    slots = CapacitySlot.objects.filter(channel__office=office, date__range=(first, last))
    bookings = Booking.objects.filter(office=office, date__range=(first, last)).order_by("id")
    cases = EmergencyCase.objects.filter(office=office, service_date__range=(first, last))
    items = config_items(office) + _rows(slots) + booking_items(bookings)
    items += case_items(office, cases.order_by("id"))
    return {"seq": seq, "items": items}


def changes_after(office: Office, *, after: int, limit: int = 500) -> dict:
    """The office's changes numbered after `after`, as items (each row once, as it is now)."""
    number_changes(office)
    changes = list(
        CentralChange.objects.filter(office=office, seq__gt=after).order_by("seq")[: limit + 1]
    )
    more = len(changes) > limit
    changes = changes[:limit]
    last = changes[-1].seq if changes else after
    booking_pks = {int(c.object_pk) for c in changes if c.model == BOOKING}
    items: list[dict] = []
    if any(c.model == CONFIG for c in changes):
        items += config_items(office)
    items += booking_items(Booking.objects.filter(pk__in=booking_pks).order_by("id"))
    case_pks = {int(c.object_pk) for c in changes if c.model == EMERGENCY_CASE}
    items += case_items(office, EmergencyCase.objects.filter(pk__in=case_pks).order_by("id"))
    flag_pks = {int(c.object_pk) for c in changes if c.model == FLAG}
    items += _rows(SyncFlag.objects.filter(pk__in=flag_pks))
    return {"last": last, "more": more, "items": items}
