"""Applying the other side's changes, by the ownership table (loket.sync.ownership).

At the node (`apply_central_items`): the central site's rows, except a booking the desk has
already moved on (checked in, completed, no-show), the office's own walk-in slots and the
ticket the desk gave an emergency case.
At the central site (`apply_node_changes`): the node's changes, exactly once and in order (one
AppliedChange per office and number; a repeated push skips what it already applied), each
row only if it belongs to the pushing office and only the fields the office owns.
"""

import datetime as dt
import logging
import zoneinfo

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core import serializers
from django.db import IntegrityError, connection, transaction
from django.utils.dateparse import parse_datetime
from django_otp.plugins.otp_totp.models import TOTPDevice

from loket.booking import lifecycle
from loket.booking.models import Booking, BookingStatus
from loket.capacity import services as ledger
from loket.capacity.models import CapacitySlot, LivePlace
from loket.core import audit, clock
from loket.core.errors import DomainError
from loket.offices.models import Office
from loket.outreach import bridge as outreach_bridge
from loket.outreach.models import EmergencyCase, EmergencyStatus
from loket.queue.models import Ticket
from loket.reports.queue_figures import forget_kept_months
from loket.sync.feed import BOOKING, DEVICE, EMERGENCY_CASE, FLAG, record_change
from loket.sync.models import AppliedChange, FlagKind, NodeState, OfficeFeed, SyncFlag
from loket.sync.ownership import (
    CENTRAL_CASE_DECISION,
    CENTRAL_ID_FLOOR,
    ID_RANGE,
    NODE_TABLES,
    OFFICE_CASE_FIELDS,
    OFFICE_CHANNEL_KINDS,
    OFFICE_CREATED_TABLES,
    OFFICE_STATUSES,
    office_id_base,
)

logger = logging.getLogger(__name__)


class PushRefused(DomainError, code="sync_change_refused", status=400):
    message = "This change does not belong to the office."


def _save_row(row: dict) -> None:
    for obj in serializers.deserialize("python", [row]):
        obj.save()


def _flag(*, office_id: int, kind: str, object_id: str, detail: dict) -> bool:
    """Record a flag for the supervisor once; True if it is new."""
    flag, created = SyncFlag.objects.get_or_create(
        office_id=office_id,
        kind=kind,
        object_id=object_id,
        defaults={"detail": detail, "at": clock.now()},
    )
    if created:  # the office's supervisor sees it at the node too
        record_change(office_id=office_id, model=FLAG, object_pk=str(flag.pk))
    return created


def _apply_live_place(*, holder: str, fields: dict | None, office_id: int) -> None:
    if fields is None:
        LivePlace.objects.filter(holder=holder, office_id=office_id).delete()
        return
    values = {k: v for k, v in fields.items() if k != "holder"}
    values["office_id"] = values.pop("office")
    try:
        with transaction.atomic():
            LivePlace.objects.update_or_create(holder=holder, defaults=values)
    except IntegrityError:  # the NIK holds another live place here
        _flag(
            office_id=office_id,
            kind=FlagKind.LIVE_PLACE_CONFLICT,
            object_id=holder,
            detail={"nik": values.get("nik", "")[-4:]},
        )


# --- at the node ------------------------------------------------------------------------------


def _apply_central_booking(row: dict) -> None:
    local = Booking.objects.filter(pk=row["pk"]).values_list("status", "office_id").first()
    incoming = row["fields"]["status"]
    if local is not None and local[0] in OFFICE_STATUSES and incoming != local[0]:
        if incoming == BookingStatus.CANCELLED:
            _flag(
                office_id=local[1],
                kind=FlagKind.CANCELLED_BUT_SERVED,
                object_id=row["fields"]["code"],
                detail={"office_status": local[0]},
            )
        return  # the desk's word stands: the person was there
    _save_row(row)


def _apply_central_case(row: dict) -> None:
    """An emergency case as the central site has it; its check-in is the office's: the ticket
    the desk gave it here stays, and a ticket this node does not hold is not linked."""
    fields = row["fields"]
    local = EmergencyCase.objects.filter(pk=row["pk"]).values_list("ticket_id", flat=True)
    mine, theirs = local.first(), fields.get("ticket")
    if mine is not None:
        fields["ticket"] = mine
    elif theirs is not None and not Ticket.objects.filter(pk=theirs).exists():
        fields["ticket"] = None
    _save_row(row)


def _apply_central_slot(row: dict) -> None:
    slot = CapacitySlot.objects.filter(pk=row["pk"]).select_related("channel").first()
    if slot is not None and slot.channel.kind in OFFICE_CHANNEL_KINDS:
        return  # the office hands these places out; its own count is the true one
    _save_row(row)


def _closing(fields: dict) -> dict:
    """A flag's closing as sent (who closed it: only an account this side knows)."""
    closer = fields.get("resolved_by")
    if closer is not None and not get_user_model().objects.filter(pk=closer).exists():
        closer = None
    return {
        "resolved_at": parse_datetime(fields["resolved_at"])
        if isinstance(fields.get("resolved_at"), str)
        else fields.get("resolved_at"),
        "resolved_by_id": closer,
        "note": str(fields.get("note") or "")[:300],
    }


def _apply_central_flag(fields: dict) -> None:
    """A flag as the central site has it; a flag this node closed stays closed here until the
    central site learns of it (the node's closing is on its way up)."""
    values = {"detail": fields["detail"], "at": fields["at"]}
    local = SyncFlag.objects.filter(
        office_id=fields["office"], kind=fields["kind"], object_id=fields["object_id"]
    ).first()
    if fields.get("resolved_at") is not None or local is None or local.resolved_at is None:
        values.update(_closing(fields))
    SyncFlag.objects.update_or_create(
        office_id=fields["office"],
        kind=fields["kind"],
        object_id=fields["object_id"],
        defaults=values,
    )


def _apply_central_device(row: dict) -> None:
    """A staff member's two-factor device, as the central site has it; what the node learnt
    checking codes itself stays: the last code used here (so a code is not accepted twice at
    this node), the clock drift seen here, and its failures (throttling)."""
    local = TOTPDevice.objects.filter(pk=row["pk"]).first()
    if local is not None:
        fields = row["fields"]
        fields["last_t"] = max(local.last_t, int(fields["last_t"]))
        fields["drift"] = local.drift
        fields["throttling_failure_count"] = local.throttling_failure_count
        fields["throttling_failure_timestamp"] = local.throttling_failure_timestamp
        fields["last_used_at"] = local.last_used_at or fields["last_used_at"]
    _save_row(row)


def _forget_removed_staff(items: list[dict]) -> None:
    """A configuration set names every staff role of the office and every two-factor device
    of its staff: a role or device it no longer names was taken away (turned off) centrally,
    and goes at the node too."""
    offices = [row["pk"] for row in items if row["model"] == "offices.office"]
    if not offices:
        return
    kept = [row["pk"] for row in items if row["model"] == "staff.staffmembership"]
    membership = apps.get_model("staff.StaffMembership")
    membership.objects.filter(office_id__in=offices).exclude(pk__in=kept).delete()
    devices = [row["pk"] for row in items if row["model"] == DEVICE]
    TOTPDevice.objects.exclude(pk__in=devices).delete()  # a node holds no device of its own


def apply_central_items(items: list[dict], *, pulled_seq: int) -> None:
    """Write the central site's rows at the node, in one transaction, the triggers quiet."""
    with transaction.atomic():
        NodeState.objects.filter(pk=1).update(applying=True)
        for row in items:
            model = row["model"]
            if model == "capacity.liveplace":
                office_id = (row["fields"] or {}).get("office")
                if row["fields"] is None:
                    LivePlace.objects.filter(holder=row["holder"]).delete()
                else:
                    _apply_live_place(
                        holder=row["holder"], fields=row["fields"], office_id=office_id
                    )
            elif model == "booking.booking":
                _apply_central_booking(row)
            elif model == "capacity.capacityslot":
                _apply_central_slot(row)
            elif model == EMERGENCY_CASE:
                _apply_central_case(row)
            elif model == DEVICE:
                _apply_central_device(row)
            elif model == FLAG:
                _apply_central_flag(row["fields"])
            else:
                _save_row(row)
        _forget_removed_staff(items)
        NodeState.objects.filter(pk=1).update(applying=False, pulled_seq=pulled_seq)


# --- at the central site ----------------------------------------------------------------------

_LABELS = {label for label, _ops in NODE_TABLES.values()}


def _belongs(office: Office, model: str, fields: dict, pk) -> bool:
    """Whether a pushed row is the office's to write: a booking or slot of the office, or a
    row the office created (an id from its own range, naming the office)."""
    if model == "booking.booking":
        return Booking.objects.filter(pk=pk, office=office).exists()
    if model == EMERGENCY_CASE:
        mine = EmergencyCase.objects.filter(pk=pk, office=office).exists()
        return mine and fields.get("office") == office.pk
    if model == "capacity.capacityslot":
        channel = apps.get_model("offices.Channel").objects.filter(pk=fields.get("channel"))
        slot = CapacitySlot.objects.filter(pk=pk).exclude(channel__office=office)
        return channel.filter(office=office).exists() and not slot.exists()
    base = office_id_base(office.pk)
    if not (isinstance(pk, int) and base <= pk < base + ID_RANGE):
        return False  # a row the office creates always has an id from its range
    if model == "queue.countersignin":
        counter = apps.get_model("queue.Counter").objects.filter(pk=fields.get("counter"))
        return counter.filter(office=office).exists()
    if model == "core.auditevent":
        return fields.get("office") in (office.pk, None)
    if model == "capacity.channelmove":
        channels = {fields.get("from_channel"), fields.get("to_channel")}
        if not all(isinstance(c, int) for c in channels):
            return False
        mine = apps.get_model("offices.Channel").objects.filter(pk__in=channels, office=office)
        if mine.count() != len(channels):
            return False  # a move between the office's own channels only
    if model == "queue.ticket" and fields.get("booking") is not None:
        if not Booking.objects.filter(pk=fields["booking"], office=office).exists():
            return False
    return fields.get("office") == office.pk


def _serve_despite_cancellation(booking: Booking, status: str, office: Office) -> None:
    """The rule for a central cancellation the office had not seen when it checked the person
    in: the person is served. The booking takes its place back (beyond the window's places if
    they were given to someone else meanwhile), and the supervisor is told."""
    over = not ledger.try_take_place(slot_id=booking.slot_id)
    if over:
        ledger.take_place_beyond_capacity(slot_id=booking.slot_id)
        _flag(
            office_id=office.pk,
            kind=FlagKind.OVER_CAPACITY,
            object_id=booking.code,
            detail={"slot": booking.slot_id},
        )
    lifecycle.apply_office_status(booking, to=status)
    record_change(office_id=office.pk, model=BOOKING, object_pk=str(booking.pk))  # its slot
    _flag(
        office_id=office.pk,
        kind=FlagKind.CANCELLED_BUT_SERVED,
        object_id=booking.code,
        detail={"office_status": status},
    )
    audit.record(
        action="sync.cancellation_overridden",
        obj=booking,
        actor_label=f"office node {office.code}",
        office=office,
        before={"status": BookingStatus.CANCELLED},
        after={
            "status": status,
            "rule": "served: cancelled centrally while the office was offline",
        },
    )


def _apply_node_booking(office: Office, pk, fields: dict) -> None:
    status = fields["status"]
    if status not in OFFICE_STATUSES:
        return  # cancellations, payments, moves: the central site's own
    booking = Booking.objects.select_for_update().get(pk=pk)
    if booking.status == status:
        return
    if booking.status == BookingStatus.CANCELLED:
        _serve_despite_cancellation(booking, status, office)
        return
    lifecycle.apply_office_status(booking, to=status)


def _apply_node_case(office: Office, pk, fields: dict) -> None:
    """The desk's check-in of an emergency case at the node: the case takes the ticket (a
    ticket of the office, pushed before it). The decision is the central site's and final: a
    row that differs in it is refused. The first ticket stands: a case already linked keeps
    its ticket (the other one stays in the queue as issued). Locks the case row."""
    case = EmergencyCase.objects.select_for_update().get(pk=pk)
    central = serializers.serialize("python", [case])[0]["fields"]
    if any(str(fields.get(f)) != str(central[f]) for f in CENTRAL_CASE_DECISION):
        raise PushRefused()
    values = {f: fields.get(f) for f in OFFICE_CASE_FIELDS}
    ticket_id = values["ticket"]
    if ticket_id is None or case.ticket_id is not None:
        return
    ticket = Ticket.objects.filter(pk=ticket_id, office=office).first()
    if ticket is None or case.status != EmergencyStatus.APPROVED:
        raise PushRefused()
    outreach_bridge.link_node_ticket(case=case, ticket=ticket)


def _apply_node_slot(row: dict) -> None:
    slot = CapacitySlot.objects.filter(pk=row["pk"]).select_related("channel").first()
    if slot is None:
        _save_row(row)
    elif slot.channel.kind in OFFICE_CHANNEL_KINDS:
        fields = row["fields"]
        ledger.set_replicated_count(
            slot_id=slot.pk, used=fields["used"], capacity=fields["capacity"]
        )


def _keep_central_ids_above_offices() -> None:
    """On SQLite a stored row moves the table's next id past it: keep the central site's own
    ids of office-created tables above every office's range."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for table in OFFICE_CREATED_TABLES:
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            found = cursor.fetchone()
            if found is None:
                cursor.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)",
                    [table, CENTRAL_ID_FLOOR],
                )
            elif found[0] < CENTRAL_ID_FLOOR:
                cursor.execute(
                    "UPDATE sqlite_sequence SET seq = %s WHERE name = %s",
                    [CENTRAL_ID_FLOOR, table],
                )


def _apply_node_flag(office: Office, fields: dict) -> None:
    """A flag the office's supervisor closed at the node: the first closing stands."""
    if fields.get("office") != office.pk or fields.get("resolved_at") is None:
        raise PushRefused()
    flag = (
        SyncFlag.objects.select_for_update()
        .filter(office=office, kind=fields.get("kind"), object_id=fields.get("object_id"))
        .first()
    )
    if flag is None or flag.resolved_at is not None:
        return
    SyncFlag.objects.filter(pk=flag.pk).update(**_closing(fields))
    record_change(office_id=office.pk, model=FLAG, object_pk=str(flag.pk))


def _apply_node_change(office: Office, change: dict) -> None:
    model, pk, fields = change["model"], change["pk"], change.get("fields")
    if model not in _LABELS:
        raise PushRefused()
    if model == FLAG:
        if not isinstance(fields, dict):
            raise PushRefused()
        _apply_node_flag(office, fields)
        return
    if model == "capacity.liveplace":
        if fields is not None and fields.get("office") != office.pk:
            raise PushRefused()
        _apply_live_place(holder=change["holder"], fields=fields, office_id=office.pk)
        return
    if fields is None:
        return  # only live places are deleted
    if not isinstance(fields, dict) or not _belongs(office, model, fields, pk):
        raise PushRefused()
    if model == "booking.booking":
        _apply_node_booking(office, pk, fields)
    elif model == "capacity.capacityslot":
        _apply_node_slot({"model": model, "pk": pk, "fields": fields})
    elif model == EMERGENCY_CASE:
        _apply_node_case(office, pk, fields)
    elif model == "core.auditevent" and apps.get_model(model).objects.filter(pk=pk).exists():
        return  # the audit trail is append-only: a row once stored stays as it was
    else:
        _save_row({"model": model, "pk": pk, "fields": fields})


def _closed_days(office: Office, changes: list[dict]) -> set:
    """The office's closed local days (before today) that pushed queue rows belong to."""
    tz = zoneinfo.ZoneInfo(office.time_zone)
    today = clock.local_today(office.time_zone)
    days = set()
    for change in changes:
        fields = change.get("fields") or {}
        if change["model"] == "queue.ticketevent" and fields.get("at"):
            at = fields["at"]
            at = parse_datetime(at) if isinstance(at, str) else at
            if at is not None:
                days.add(at.astimezone(tz).date())
        elif change["model"] == "queue.ticket" and fields.get("date"):
            day = fields["date"]
            days.add(dt.date.fromisoformat(day) if isinstance(day, str) else day)
    return {day for day in days if day < today}


def apply_node_changes(office: Office, changes: list[dict]) -> int:
    """Apply a node's pushed changes in their order, each once. Locks the office's feed row
    (one push at a time per office). Returns the last number applied."""
    with transaction.atomic():
        feed, _ = OfficeFeed.objects.get_or_create(office=office)
        feed = OfficeFeed.objects.select_for_update().get(pk=feed.pk)
        _keep_central_ids_above_offices()
        now = clock.now()
        for change in sorted(changes, key=lambda c: c["seq"]):
            seq = int(change["seq"])
            if seq <= feed.pushed_seq:
                continue  # already applied: a retry of a push whose answer was lost
            AppliedChange.objects.create(
                office=office,
                seq=seq,
                key=str(change["key"])[:80],
                model=change["model"][:40],
                object_pk=str(change["pk"])[:40],
                applied_at=now,
            )
            _apply_node_change(office, change)
            feed.pushed_seq = seq
        feed.last_push_at = now
        feed.save(update_fields=["pushed_seq", "last_push_at"])
        # The reports keep closed months' queue figures: days that changed are read again.
        forget_kept_months(office_id=office.pk, days=_closed_days(office, changes))
        return feed.pushed_seq
