"""Personal data (UU 27/2022): an applicant's own data as a download, and retention.

Retention: each kind of record holding personal data has a moment its case closes (a booking
completed, cancelled, expired or a no-show; a waiting-list entry ended or its day passed; a
queue ticket's day over with the passport collected and no examination day ahead; a passport
handed over; a Simpatik day, an Eazy Passport visit or an emergency service day passed, or the
request or case rejected; an outbox message sent). Once it closed more than
LOKET_RETENTION_DAYS ago, names, phones, NIKs, exact birth dates, collectors' documents, notes
and message texts are replaced by placeholders. The figures stay: office, channel, dates and
moments, window, lane, stage, counters, purpose, types, status, amounts, sex, regency of
domicile, year of birth, reasons and decisions, and every row (so every count) remains.
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.db.models import (
    Case,
    CharField,
    DateField,
    Exists,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.functions import Cast, LPad, TruncYear
from django.utils.translation import gettext_lazy as _

from loket.accounts.models import Applicant, User
from loket.booking.models import ACTIVE_STATUSES, Booking, BookingStatus
from loket.core import clock
from loket.core.errors import DomainError
from loket.core.masking import mask_text
from loket.core.models import AuditEvent
from loket.notifications.models import OutboxMessage
from loket.outreach.models import (
    EmergencyCase,
    EmergencyStatus,
    OutreachParticipant,
    OutreachRequest,
    RequestStatus,
    WalkInAdmission,
)
from loket.queue.models import BapCase, Issuance, Ticket
from loket.release.models import FairRelease, WaitingEntry
from loket.waitlist.models import OPEN_STATUSES as WAITLIST_OPEN_STATUSES
from loket.waitlist.models import WaitlistEntry

CLOSED_STATUSES = [
    BookingStatus.COMPLETED,
    BookingStatus.CANCELLED,
    BookingStatus.EXPIRED,
    BookingStatus.NO_SHOW,
]
# Sixteen digits as the schema requires; no province has code 00, so no real NIK matches.
BOOKING_NIK_PLACEHOLDER = "0" * 16
ANONYMISED_NAME = "(dihapus)"
# Keys of audit `before`/`after` snapshots that hold personal data.
PERSONAL_KEYS = ("name", "phone", "nik", "birth_date")


def applicant_nik_placeholder(applicant_id: int) -> str:
    """Unique per applicant row (NIK is unique per account), sixteen digits, starts with 0."""
    return f"{applicant_id:016d}"


# --- The applicant's own data ---------------------------------------------------------------


def _iso(value):
    return value.isoformat() if isinstance(value, dt.date | dt.time) else value


def export_personal_data(*, account: User) -> dict:
    """Everything held about an account: the account, its applicants, their bookings and
    payments, its waiting-list entries, the queue tickets (with passport pickup and
    examination) of its bookings; for NIKs checked against a KTP at one of its bookings'
    check-ins, other queue tickets, the Eazy Passport lists and emergency hotline cases; and
    the audit events about all of these. Unmasked: it is the person's own data. Staff who
    acted are named by role only; an emergency caller's name and phone (someone else's data)
    are left out."""
    applicants = list(account.applicants.order_by("position"))
    # An account can name any NIK, so rows found by NIK alone (walk-in tickets, Eazy Passport
    # lists, emergency cases) are given only for NIKs an officer has seen on a KTP for one of
    # this account's bookings at check-in. Placeholder NIKs (start with 0) name nobody.
    niks = sorted(
        {
            nik
            for nik in Ticket.objects.filter(booking__account=account).values_list(
                "booking__nik", flat=True
            )
            if nik and not nik.startswith("0")
        }
    )
    bookings = list(
        Booking.objects.filter(account=account)
        .select_related("office", "channel")
        .prefetch_related("payments")
        .order_by("created_at", "id")
    )
    entries = list(
        WaitlistEntry.objects.filter(account=account)
        .select_related("office", "channel", "slot", "booking")
        .order_by("joined_at", "id")
    )
    tickets = list(
        Ticket.objects.filter(Q(booking__account=account) | Q(applicant_nik__in=niks))
        .select_related("office", "lane", "stage", "booking", "issuance", "bap")
        .order_by("issued_at", "id")
    )
    participants = list(
        OutreachParticipant.objects.filter(nik__in=niks)
        .select_related("request")
        .order_by("request__created_at", "row_number")
    )
    cases = list(
        EmergencyCase.objects.filter(nik__in=niks)
        .select_related("office")
        .order_by("recorded_at", "id")
    )
    release_places = list(
        WaitingEntry.objects.filter(account=account)
        .select_related("channel__office")
        .order_by("arrived_at", "id")
    )
    issuances = [t.issuance for t in tickets if _related(t, "issuance")]
    about = (
        Q(actor=account)
        | Q(object_type="User", object_id=str(account.pk))
        | Q(object_type="Applicant", object_id__in=[str(a.pk) for a in applicants])
        | Q(object_type="Booking", object_id__in=[b.code for b in bookings])
        | Q(object_type="WaitlistEntry", object_id__in=[str(e.pk) for e in entries])
        | Q(object_type="Ticket", object_id__in=[str(t.pk) for t in tickets])
        | Q(object_type="Issuance", object_id__in=[str(i.pk) for i in issuances])
        | Q(
            object_type="EmergencyCase",
            object_id__in=[str(c.pk) for c in cases] + [c.code for c in cases if c.code],
        )
    )
    events = AuditEvent.objects.filter(about).order_by("at", "id")
    return {
        "exported_at": _iso(clock.now()),
        "account": {
            "email": account.email,
            "full_name": account.full_name,
            "email_verified_at": _iso(account.email_verified_at),
            "date_joined": _iso(account.date_joined),
            # The API tokens' devices (User-Agent) and uses; never the token itself.
            "api_tokens": [
                {
                    "device": t.label,
                    "created_at": _iso(t.created_at),
                    "last_used_at": _iso(t.last_used_at),
                    "revoked_at": _iso(t.revoked_at),
                }
                for t in account.api_tokens.order_by("created_at", "id")
            ],
        },
        "applicants": [
            {
                "id": a.pk,
                "position": a.position,
                "nik": a.nik,
                "name": a.name,
                "birth_date": _iso(a.birth_date),
                "sex": a.sex,
                "phone": a.phone,
                "domicile_regency": a.domicile_regency,
                "married": a.married,
                "created_at": _iso(a.created_at),
            }
            for a in applicants
        ],
        "bookings": [_booking_data(b) for b in bookings],
        "waitlist_entries": [_waitlist_data(e) for e in entries],
        "queue_tickets": [_ticket_data(t) for t in tickets],
        "outreach_participants": [_participant_data(p) for p in participants],
        "emergency_cases": [_emergency_data(c) for c in cases],
        "release_waiting_room": [
            {
                "office": w.channel.office.code,
                "channel": w.channel.code,
                "release_at": _iso(w.release_at),
                "nik": w.nik,
                "arrived_at": _iso(w.arrived_at),
                "place": w.ticket,
                "booked_at": _iso(w.used_at),
            }
            for w in release_places
        ],
        "audit_events": [
            {
                "at": _iso(e.at),
                "action": e.action,
                "object_type": e.object_type,
                "object_id": e.object_id,
                "by": _actor(e, account),
                "before": e.before,
                "after": e.after,
            }
            for e in events
        ],
    }


def _related(obj, name: str):
    """A reverse one-to-one relation, or None when there is no row."""
    try:
        return getattr(obj, name)
    except ObjectDoesNotExist:
        return None


def _waitlist_data(e: WaitlistEntry) -> dict:
    return {
        "id": e.pk,
        "applicant_id": e.applicant_id,
        "nik": e.nik,
        "office": e.office.code,
        "channel": e.channel.code,
        "date": _iso(e.date),
        "application_type": e.application_type,
        "purpose": e.purpose,
        "passport_type": e.passport_type,
        "status": e.status,
        "joined_at": _iso(e.joined_at),
        "offered_window": e.slot.window_start.strftime("%H:%M") if e.slot_id else None,
        "offered_at": _iso(e.offered_at),
        "offer_expires_at": _iso(e.offer_expires_at),
        "ended_at": _iso(e.answered_at),
        "booking": e.booking.code if e.booking_id else None,
    }


def _ticket_data(t: Ticket) -> dict:
    issuance = _related(t, "issuance")
    bap = _related(t, "bap")
    return {
        "office": t.office.code,
        "date": _iso(t.date),
        "ticket": t.display,
        "lane": t.lane.kind,
        "booking": t.booking.code if t.booking_id else None,
        "name": t.applicant_name,
        "nik": t.applicant_nik,
        "birth_date": _iso(t.birth_date),
        "priority_reason": t.priority_reason,
        "status": t.status,
        "stage": t.stage.code,
        "issued_at": _iso(t.issued_at),
        "called_at": _iso(t.called_at),
        "passport": None
        if issuance is None
        else {
            "interview_date": _iso(issuance.interview_date),
            "ready_date": _iso(issuance.ready_date),
            "picked_up_at": _iso(issuance.picked_up_at),
            "picked_up_by": issuance.picked_up_by,
            "collector_name": issuance.collector_name,
            "collector_document": issuance.collector_document,
        },
        "examination": None
        if bap is None
        else {
            "date": _iso(bap.bap_date),
            "status": bap.status,
            "photo_date": _iso(bap.photo_date),
        },
    }


def _participant_data(p: OutreachParticipant) -> dict:
    return {
        "request": p.request.code,
        "organisation": p.request.organisation,
        "request_status": p.request.status,
        "visit_date": _iso(p.request.visit_date),
        "row_number": p.row_number,
        "nik": p.nik,
        "name": p.name,
        "birth_date": _iso(p.birth_date),
        "application_type": p.application_type,
        "code": p.code,
        "checked_in": p.ticket_id is not None,
    }


def _emergency_data(c: EmergencyCase) -> dict:
    return {
        "office": c.office.code,
        "nik": c.nik,
        "applicant_name": c.applicant_name,
        "domicile_regency": c.domicile_regency,
        "reason": c.reason,
        "notes": c.notes,
        "in_working_area": c.in_working_area,
        "status": c.status,
        "recorded_at": _iso(c.recorded_at),
        "decided_at": _iso(c.decided_at),
        "decision_reason": c.decision_reason,
        "service_date": _iso(c.service_date),
        "code": c.code,
    }


def _actor(event: AuditEvent, account: User) -> str:
    if event.actor_id == account.pk:
        return "you"
    if event.actor_id is None:
        return event.actor_label  # "system", "gateway"
    return "staff"


def _payment_data(payment) -> dict:
    return {
        "billing_code": payment.billing_code,
        "amount": payment.amount,
        "paid_at": _iso(payment.paid_at),
        "received_at": _iso(payment.received_at),
        "outcome": payment.outcome,
        "refunded_at": _iso(payment.refunded_at),
    }


def _booking_data(b: Booking) -> dict:
    payments = sorted(b.payments.all(), key=lambda p: (p.received_at, p.pk))
    applied = [p for p in payments if p.outcome in ("applied", "late_confirmed")]
    payment = (applied or payments or [None])[0]
    return {
        "code": b.code,
        "applicant_id": b.applicant_id,
        "nik": b.nik,
        "office": b.office.code,
        "channel": b.channel.code,
        "date": _iso(b.date),
        "window_start": b.window_start.strftime("%H:%M"),
        "window_end": b.window_end.strftime("%H:%M"),
        "application_type": b.application_type,
        "purpose": b.purpose,
        "passport_type": b.passport_type,
        "validity_years": b.validity_years,
        "status": b.status,
        "billing_code": b.billing_code,
        "amount": b.amount,
        "pay_before": _iso(b.pay_before),
        "paid_at": _iso(b.paid_at),
        "application_number": b.application_number,
        "reschedule_count": b.reschedule_count,
        "created_at": _iso(b.created_at),
        "updated_at": _iso(b.updated_at),
        "payment": None if payment is None else _payment_data(payment),
        "payments": [_payment_data(p) for p in payments],
    }


# --- Retention --------------------------------------------------------------------------------

# The kinds of record a retention run anonymises, in the order the command reports them.
KINDS = (
    "bookings",
    "applicants",
    "waitlist_entries",
    "tickets",
    "pickups",
    "walk_ins",
    "outreach_participants",
    "outreach_contacts",
    "emergency_cases",
    "outbox_messages",
    "release_places",
)


@dataclass(frozen=True)
class RetentionResult:
    cutoff: dt.datetime
    counts: dict[str, int]
    dry_run: bool = False

    @property
    def bookings(self) -> int:
        return self.counts["bookings"]

    @property
    def applicants(self) -> int:
        return self.counts["applicants"]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def retention_cutoff(*, retention_days: int | None = None) -> dt.datetime:
    days = settings.LOKET_RETENTION_DAYS if retention_days is None else retention_days
    if days < 0:
        raise ValueError("retention_days must not be negative")
    return clock.now() - dt.timedelta(days=days)


def _placeholder_nik_expression():
    """The row's own id as sixteen digits with leading zeros (SQL): unique per row, and no
    real NIK starts with 0, so an anonymised row is recognised by its first digit."""
    return LPad(Cast("id", output_field=CharField()), 16, Value("0"))


def _closed_before(cutoff: dt.datetime) -> Q:
    # A closed booking is not changed again, so its last change is the moment its case closed.
    return Q(status__in=CLOSED_STATUSES, updated_at__lt=cutoff)


def _waitlist_closed_before(cutoff: dt.datetime) -> Q:
    """An entry ended (booked, declined, expired, left, closed) before the cutoff, or one whose
    appointment day passed before it: nothing can happen to it any more."""
    return Q(date__lt=cutoff.date()) | (
        ~Q(status__in=WAITLIST_OPEN_STATUSES) & Q(answered_at__lt=cutoff)
    )


def bookings_due(*, cutoff: dt.datetime):
    return Booking.objects.filter(_closed_before(cutoff)).exclude(nik=BOOKING_NIK_PLACEHOLDER)


def applicants_due(*, cutoff: dt.datetime):
    """Applicants with at least one booking or waiting-list entry, every one of them closed
    before the cutoff."""
    keep_bookings = Booking.objects.exclude(_closed_before(cutoff)).values("applicant_id")
    keep_waits = (
        WaitlistEntry.objects.exclude(_waitlist_closed_before(cutoff))
        .filter(applicant__isnull=False)
        .values("applicant_id")
    )
    has_case = Exists(Booking.objects.filter(applicant=OuterRef("pk"))) | Exists(
        WaitlistEntry.objects.filter(applicant=OuterRef("pk"))
    )
    return (
        Applicant.objects.filter(has_case)
        .exclude(pk__in=keep_bookings)
        .exclude(pk__in=keep_waits)
        .exclude(name=ANONYMISED_NAME)
    )


def waitlist_entries_due(*, cutoff: dt.datetime):
    return WaitlistEntry.objects.filter(_waitlist_closed_before(cutoff)).exclude(
        nik__startswith="0"
    )


def tickets_due(*, cutoff: dt.datetime):
    """Tickets of an office day before the cutoff whose case is over: no passport waiting to
    be collected (or collected before the cutoff) and no examination (BAP) or photo day still
    to come (or it was before the cutoff)."""
    day = cutoff.date()
    open_issuance = Issuance.objects.filter(ticket=OuterRef("pk")).filter(
        Q(picked_up_at__isnull=True) | Q(picked_up_at__gte=cutoff)
    )
    open_bap = BapCase.objects.filter(ticket=OuterRef("pk")).filter(
        Q(photo_date__gte=day) | Q(photo_date__isnull=True, bap_date__gte=day)
    )
    return (
        Ticket.objects.filter(date__lt=day)
        .exclude(Exists(open_issuance))
        .exclude(Exists(open_bap))
        .exclude(applicant_name=ANONYMISED_NAME)
    )


def pickups_due(*, cutoff: dt.datetime):
    """Passports handed over before the cutoff with a collector's name or document on record."""
    return (
        Issuance.objects.filter(picked_up_at__lt=cutoff)
        .exclude(collector_name=ANONYMISED_NAME)
        .exclude(collector_name="", collector_document="")
    )


def walk_ins_due(*, cutoff: dt.datetime):
    return WalkInAdmission.objects.filter(occurrence__date__lt=cutoff.date()).exclude(
        name=ANONYMISED_NAME
    )


def _outreach_requests_closed(cutoff: dt.datetime):
    """Eazy Passport requests whose case is over: the visit was before the cutoff, the
    rejection was, or it was never decided and its last preferred or proposed date was."""
    day = cutoff.date()
    stale = []
    for pk, preferred, proposed in OutreachRequest.objects.filter(
        status__in=[RequestStatus.SUBMITTED, RequestStatus.DATE_PROPOSED]
    ).values_list("pk", "preferred_dates", "proposed_date"):
        dates = [proposed] if proposed else []
        for value in preferred or []:
            try:
                dates.append(dt.date.fromisoformat(str(value)[:10]))
            except ValueError:
                continue
        if dates and max(dates) < day:
            stale.append(pk)
    return OutreachRequest.objects.filter(
        Q(status=RequestStatus.APPROVED, visit_date__lt=day)
        | Q(status=RequestStatus.REJECTED, decided_at__lt=cutoff)
        | Q(pk__in=stale)
    )


def outreach_participants_due(*, cutoff: dt.datetime):
    return OutreachParticipant.objects.filter(
        request__in=_outreach_requests_closed(cutoff).values("pk")
    ).exclude(name=ANONYMISED_NAME)


def outreach_contacts_due(*, cutoff: dt.datetime):
    return _outreach_requests_closed(cutoff).exclude(contact_person=ANONYMISED_NAME)


def emergency_cases_due(*, cutoff: dt.datetime):
    """Hotline cases rejected before the cutoff, or approved for a service day before it.
    (A case still waiting for a decision stays as it is.)"""
    return EmergencyCase.objects.filter(
        Q(status=EmergencyStatus.REJECTED, decided_at__lt=cutoff)
        | Q(status=EmergencyStatus.APPROVED, service_date__lt=cutoff.date())
    ).exclude(applicant_name=ANONYMISED_NAME)


def outbox_messages_due(*, cutoff: dt.datetime):
    """Messages sent (or given up on) before the cutoff."""
    return OutboxMessage.objects.filter(Q(sent_at__lt=cutoff) | Q(failed_at__lt=cutoff)).exclude(
        body=ANONYMISED_NAME
    )


def release_places_due(*, cutoff: dt.datetime):
    """Places in a release's waiting room whose period (hours after the release, per channel;
    24 without a setting) ended before the cutoff."""
    periods = dict(FairRelease.objects.values_list("channel_id", "period_hours"))
    ended = Q(release_at__lt=cutoff - dt.timedelta(hours=24)) & ~Q(channel_id__in=periods)
    for channel_id, hours in periods.items():
        ended |= Q(channel_id=channel_id, release_at__lt=cutoff - dt.timedelta(hours=hours))
    return WaitingEntry.objects.filter(ended).exclude(nik__startswith="0")


def _due_querysets(cutoff: dt.datetime) -> dict:
    return {
        "bookings": bookings_due(cutoff=cutoff),
        "applicants": applicants_due(cutoff=cutoff),
        "waitlist_entries": waitlist_entries_due(cutoff=cutoff),
        "tickets": tickets_due(cutoff=cutoff),
        "pickups": pickups_due(cutoff=cutoff),
        "walk_ins": walk_ins_due(cutoff=cutoff),
        "outreach_participants": outreach_participants_due(cutoff=cutoff),
        "outreach_contacts": outreach_contacts_due(cutoff=cutoff),
        "emergency_cases": emergency_cases_due(cutoff=cutoff),
        "outbox_messages": outbox_messages_due(cutoff=cutoff),
        "release_places": release_places_due(cutoff=cutoff),
    }


def anonymise_closed_cases(
    *, retention_days: int | None = None, dry_run: bool = False
) -> RetentionResult:
    """Anonymise the personal data of cases closed more than `retention_days` ago (default
    LOKET_RETENTION_DAYS). Idempotent: a second run finds nothing left to do.

    In one transaction: bookings' NIK; applicants' name, phone, NIK and exact birth date;
    waiting-list entries' NIK; queue tickets' name, NIK and exact birth date; the names and
    documents of whoever collected a passport; Simpatik walk-ins' names; Eazy Passport
    participants' name, NIK and exact birth date and the request's contact person; emergency
    cases' caller, applicant, NIK and notes; sent outbox messages' recipient and text; the NIK
    of places in a release's waiting room; the personal values in the audit snapshots of
    those rows. One audit event per anonymised
    booking and applicant, and one for the run with the counts per kind. With `dry_run`, only
    counts (nothing is written, not even the run's audit event).
    """
    cutoff = retention_cutoff(retention_days=retention_days)
    now = clock.now()
    days = (now - cutoff).days
    with transaction.atomic():
        due = _due_querysets(cutoff)
        if dry_run:
            counts = {kind: due[kind].count() for kind in KINDS}
            return RetentionResult(cutoff, counts, dry_run=True)

        counts = {}
        booking_rows = list(due["bookings"].values_list("pk", "code", "office_id"))
        applicants = list(due["applicants"].order_by("pk"))
        counts["bookings"], counts["applicants"] = len(booking_rows), len(applicants)
        Booking.objects.filter(pk__in=[pk for pk, _, _ in booking_rows]).update(
            nik=BOOKING_NIK_PLACEHOLDER
        )
        for applicant in applicants:
            applicant.name = ANONYMISED_NAME
            applicant.phone = ""
            applicant.nik = applicant_nik_placeholder(applicant.pk)
            applicant.birth_date = dt.date(applicant.birth_date.year, 1, 1)
        Applicant.objects.bulk_update(
            applicants, ["name", "phone", "nik", "birth_date"], batch_size=500
        )
        _scrub_audit_snapshots("Applicant", [a.pk for a in applicants])

        entry_ids = list(due["waitlist_entries"].values_list("pk", flat=True))
        counts["waitlist_entries"] = WaitlistEntry.objects.filter(pk__in=entry_ids).update(
            nik=_placeholder_nik_expression()
        )
        _scrub_audit_snapshots("WaitlistEntry", entry_ids)

        counts["tickets"] = Ticket.objects.filter(
            pk__in=list(due["tickets"].values_list("pk", flat=True))
        ).update(
            applicant_name=ANONYMISED_NAME,
            applicant_nik="",
            birth_date=TruncYear("birth_date", output_field=DateField()),
        )

        issuance_ids = list(due["pickups"].values_list("pk", flat=True))
        counts["pickups"] = Issuance.objects.filter(pk__in=issuance_ids).update(
            collector_name=ANONYMISED_NAME,
            collector_document=Case(
                When(collector_document="", then=Value("")), default=Value(ANONYMISED_NAME)
            ),
        )
        _scrub_audit_snapshots("Issuance", issuance_ids)

        counts["walk_ins"] = WalkInAdmission.objects.filter(
            pk__in=list(due["walk_ins"].values_list("pk", flat=True))
        ).update(name=ANONYMISED_NAME)

        counts["outreach_participants"] = OutreachParticipant.objects.filter(
            pk__in=list(due["outreach_participants"].values_list("pk", flat=True))
        ).update(
            name=ANONYMISED_NAME,
            nik=_placeholder_nik_expression(),
            birth_date=TruncYear("birth_date", output_field=DateField()),
        )
        contacts = list(due["outreach_contacts"].values_list("pk", "code", "contact_person"))
        for _pk, code, contact_person in contacts:
            _scrub_audit_snapshots("OutreachRequest", [code], names=[contact_person], raw_ids=True)
        counts["outreach_contacts"] = OutreachRequest.objects.filter(
            pk__in=[pk for pk, _, _ in contacts]
        ).update(contact_person=ANONYMISED_NAME, email="", phone="")

        counts["emergency_cases"] = _anonymise_emergency_cases(due["emergency_cases"])

        counts["outbox_messages"] = OutboxMessage.objects.filter(
            pk__in=list(due["outbox_messages"].values_list("pk", flat=True))
        ).update(recipient="", subject="", body=ANONYMISED_NAME, last_error="")
        counts["release_places"] = WaitingEntry.objects.filter(
            pk__in=list(due["release_places"].values_list("pk", flat=True))
        ).update(nik=_placeholder_nik_expression())

        AuditEvent.objects.bulk_create(
            [
                AuditEvent(
                    at=now,
                    actor_label="system",
                    office_id=office_id,
                    action="booking.anonymised",
                    object_type="Booking",
                    object_id=code,
                    after={"retention_days": days},
                )
                for _, code, office_id in booking_rows
            ]
            + [
                AuditEvent(
                    at=now,
                    actor_label="system",
                    action="applicant.anonymised",
                    object_type="Applicant",
                    object_id=str(a.pk),
                    after={"retention_days": days},
                )
                for a in applicants
            ]
            + [
                AuditEvent(
                    at=now,
                    actor_label="system",
                    action="retention.run",
                    object_type="Retention",
                    object_id=f"{cutoff:%Y-%m-%d}",
                    after={
                        "retention_days": days,
                        "cutoff": cutoff.isoformat(),
                        "counts": {kind: counts[kind] for kind in KINDS},
                    },
                )
            ],
            batch_size=500,
        )
    return RetentionResult(cutoff, {kind: counts[kind] for kind in KINDS})


def _anonymise_emergency_cases(queryset) -> int:
    cases = list(queryset.order_by("pk"))
    for case in cases:
        names = (case.caller_name, case.applicant_name)
        object_ids = [str(case.pk)] + ([case.code] if case.code else [])
        _scrub_audit_snapshots("EmergencyCase", object_ids, names=names, raw_ids=True)
        case.caller_name = ANONYMISED_NAME
        case.caller_phone = ""
        case.nik = applicant_nik_placeholder(case.pk)
        case.applicant_name = ANONYMISED_NAME
        case.notes = ""
        case.decision_reason = _scrubbed_text(case.decision_reason, names)
        case.area_override_reason = _scrubbed_text(case.area_override_reason, names)
    EmergencyCase.objects.bulk_update(
        cases,
        [
            "caller_name",
            "caller_phone",
            "nik",
            "applicant_name",
            "notes",
            "decision_reason",
            "area_override_reason",
        ],
        batch_size=500,
    )
    return len(cases)


def _scrubbed_text(text: str, names) -> str:
    """Free text with the given names replaced and NIKs and phone numbers masked."""
    if not text:
        return text
    for name in names:
        name = (name or "").strip()
        if len(name) >= 2:
            text = re.sub(re.escape(name), ANONYMISED_NAME, text, flags=re.IGNORECASE)
    return mask_text(text)


def _scrub_audit_snapshots(object_type: str, ids, *, names=(), raw_ids: bool = False) -> None:
    if not ids:
        return
    object_ids = list(ids) if raw_ids else [str(pk) for pk in ids]
    changed = []
    for start in range(0, len(object_ids), 500):
        events = AuditEvent.objects.filter(
            object_type=object_type, object_id__in=object_ids[start : start + 500]
        )
        for event in events:
            before, after = _scrubbed(event.before, names), _scrubbed(event.after, names)
            if (before, after) != (event.before, event.after):
                event.before, event.after = before, after
                changed.append(event)
    AuditEvent.objects.bulk_update(changed, ["before", "after"], batch_size=500)


def _scrubbed(snapshot, names=()):
    if not isinstance(snapshot, dict):
        return snapshot
    return {
        k: (
            ANONYMISED_NAME
            if k in PERSONAL_KEYS
            else _scrubbed_text(v, names)
            if names and isinstance(v, str)
            else v
        )
        for k, v in snapshot.items()
    }


# --- Closing an account ---------------------------------------------------------------------


class AccountHasOpenCases(DomainError):
    code = "account_has_open_cases"
    status = 409
    message = _(
        "This account still has a booking that is not finished or a place on a waiting list. "
        "Cancel the booking or leave the waiting list first."
    )


class StaffAccount(DomainError):
    code = "staff_account"
    status = 403
    message = _("Staff accounts are closed by an office administrator.")


class WrongPassword(DomainError):
    code = "wrong_password"
    status = 403
    message = _("The password is not right.")


def close_account(*, account: User, password: str) -> None:
    """Close an applicant's account at their request (UU 27/2022): the login, e-mail and name
    go, its API tokens are revoked, and the people it applied for are anonymised as the
    retention rule would (name, phone, NIK, exact birth date). The bookings stay as the office's
    records, without a name, and lose their NIK under the retention rule like any other.

    Refused while a booking is still active or a waiting-list entry is open, and for staff
    accounts (an administrator closes those). Locks the account row first, as booking does, so
    no booking can start for it while it closes.
    """
    if not account.check_password(password):
        raise WrongPassword()
    if account.is_staff or account.is_superuser:
        raise StaffAccount()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=account.pk).first()
        live = Booking.objects.filter(account=account, status__in=ACTIVE_STATUSES).exists()
        waiting = WaitlistEntry.objects.filter(
            account=account, status__in=WAITLIST_OPEN_STATUSES
        ).exists()
        if live or waiting:
            raise AccountHasOpenCases()
        now = clock.now()
        applicants = list(account.applicants.order_by("pk"))
        for applicant in applicants:
            applicant.name = ANONYMISED_NAME
            applicant.phone = ""
            applicant.nik = applicant_nik_placeholder(applicant.pk)
            applicant.birth_date = dt.date(applicant.birth_date.year, 1, 1)
        Applicant.objects.bulk_update(applicants, ["name", "phone", "nik", "birth_date"])
        _scrub_audit_snapshots("Applicant", [a.pk for a in applicants])
        account.api_tokens.filter(revoked_at__isnull=True).update(revoked_at=now)
        account.email = f"closed-{account.pk}@loket.invalid"
        account.full_name = ""
        account.is_active = False
        account.set_unusable_password()
        account.save(update_fields=["email", "full_name", "is_active", "password"])
        AuditEvent.objects.create(
            at=now,
            actor=account,
            actor_label="applicant",
            action="account.closed",
            object_type="User",
            object_id=str(account.pk),
            after={"applicants_anonymised": len(applicants)},
        )
