"""Personal data (UU 27/2022): an applicant's own data as a download, retention, closing an
account. Each app that holds personal data says what of it it exports, when its cases close
and how it anonymises them, in its own `personal_data.py`, and registers a `PersonalData` in
its `AppConfig.ready()`; this module only loops over the registry and knows no app.

Retention: each kind of record holding personal data has a moment its case closes. Once it
closed more than LOKET_RETENTION_DAYS ago, names, phones, NIKs, exact birth dates, collectors'
documents, notes and message texts are replaced by placeholders. The figures stay: office,
channel, dates and moments, window, lane, stage, counters, purpose, types, status, amounts,
sex, regency of domicile, year of birth, reasons and decisions, and every row (so every count)
remains.
"""

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.functions import Cast, LPad
from django.utils.translation import gettext_lazy as _

from loket.core import clock
from loket.core.errors import DomainError
from loket.core.masking import mask_text
from loket.core.models import AuditEvent

# Sixteen digits as the schema requires; no province has code 00, so no real NIK matches.
BOOKING_NIK_PLACEHOLDER = "0" * 16
ANONYMISED_NAME = "(dihapus)"
# Keys of audit `before`/`after` snapshots that hold personal data.
PERSONAL_KEYS = ("name", "phone", "nik", "birth_date")


def applicant_nik_placeholder(applicant_id: int) -> str:
    """Unique per row (NIK is unique per account), sixteen digits, starts with 0."""
    return f"{applicant_id:016d}"


# --- What an app registers --------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """Whose data a download gathers: the account, and the NIKs an officer checked against a
    KTP at one of its bookings' check-ins (rows found by NIK alone are given only for these:
    an account can name any NIK)."""

    account: Any
    niks: list[str]


@dataclass(frozen=True)
class Exported:
    """An app's part of a download: its sections (key -> rows) and the audit events about
    its rows (a filter on AuditEvent)."""

    sections: dict[str, Any]
    audit: Q | None = None


@dataclass(frozen=True)
class ApplicantCases:
    """An app's rows that are cases of an applicant (`rows`, with an `applicant` field) and the
    `applicant_id`s of those still open at a cutoff (`open`): an applicant is anonymised once
    they have a case and none is open."""

    rows: QuerySet
    open: QuerySet


@dataclass
class RetentionRun:
    """One retention run: when, from which cutoff, and the audit events it writes."""

    cutoff: dt.datetime
    now: dt.datetime
    days: int
    events: list[AuditEvent] = field(default_factory=list)

    def record(self, *, action: str, object_type: str, object_id: str, office_id=None) -> None:
        """An audit event for one anonymised row, written with the run's own at the end."""
        self.events.append(
            AuditEvent(
                at=self.now,
                actor_label="system",
                office_id=office_id,
                action=action,
                object_type=object_type,
                object_id=object_id,
                after={"retention_days": self.days},
            )
        )


@dataclass(frozen=True)
class RetentionKind:
    """A kind of record a retention run anonymises: `due(cutoff=)` is the queryset of rows
    whose case closed before the cutoff and that still hold personal data; `anonymise(rows=,
    run=)` replaces it and returns how many rows it changed."""

    name: str
    due: Callable[..., QuerySet]
    anonymise: Callable[..., int]


@dataclass(frozen=True)
class PersonalData:
    """What one app holds about people. Every part is optional.

    export(subject) -> Exported: its part of a download, in `export_rank` order.
    kinds: what a retention run anonymises, in `retention_rank` order (the ranks keep the
        order of the download and of the retention report).
    checked_niks(account): NIKs an officer checked against a KTP for this account.
    applicant_cases(cutoff=) -> ApplicantCases: its rows that keep an applicant's data.
    has_open_cases(account): whether closing the account must wait.
    close_account(account=, now=): what closing the account does to its rows.
    """

    app: str
    export_rank: int = 0
    export: Callable[[Subject], Exported] | None = None
    retention_rank: int = 0
    kinds: tuple[RetentionKind, ...] = ()
    checked_niks: Callable[[Any], Iterable[str]] | None = None
    applicant_cases: Callable[..., ApplicantCases] | None = None
    has_open_cases: Callable[[Any], bool] | None = None
    close_account: Callable[..., None] | None = None


_registry: dict[str, PersonalData] = {}


def register(provider: PersonalData) -> None:
    """Called from an app's AppConfig.ready(); registering the same app again replaces it."""
    _registry[provider.app] = provider


def providers() -> list[PersonalData]:
    return list(_registry.values())


def retention_kinds() -> list[RetentionKind]:
    ordered = sorted(_registry.values(), key=lambda p: p.retention_rank)
    return [kind for provider in ordered for kind in provider.kinds]


class _KindNames(Sequence):
    """The names of the kinds a retention run anonymises, in report order (read from the
    registry each time, so it is complete once the apps are ready)."""

    def __getitem__(self, index):
        return [kind.name for kind in retention_kinds()][index]

    def __len__(self) -> int:
        return len(retention_kinds())

    def __repr__(self) -> str:
        return repr(tuple(self))


KINDS = _KindNames()


def applicant_cases(*, cutoff: dt.datetime) -> list[ApplicantCases]:
    ordered = sorted(_registry.values(), key=lambda p: p.retention_rank)
    return [p.applicant_cases(cutoff=cutoff) for p in ordered if p.applicant_cases]


# --- Helpers the apps share -------------------------------------------------------------------


def iso(value):
    return value.isoformat() if isinstance(value, dt.date | dt.time) else value


def placeholder_nik_expression():
    """The row's own id as sixteen digits with leading zeros (SQL): unique per row, and no
    real NIK starts with 0, so an anonymised row is recognised by its first digit."""
    return LPad(Cast("id", output_field=CharField()), 16, Value("0"))


def scrubbed_text(text: str, names) -> str:
    """Free text with the given names replaced and NIKs and phone numbers masked."""
    if not text:
        return text
    for name in names:
        name = (name or "").strip()
        if len(name) >= 2:
            text = re.sub(re.escape(name), ANONYMISED_NAME, text, flags=re.IGNORECASE)
    return mask_text(text)


def scrub_audit_snapshots(object_type: str, ids, *, names=(), raw_ids: bool = False) -> None:
    """The personal values in the audit snapshots of these rows, replaced (and with `names`,
    those names in every text value)."""
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
            else scrubbed_text(v, names)
            if names and isinstance(v, str)
            else v
        )
        for k, v in snapshot.items()
    }


# --- The applicant's own data ---------------------------------------------------------------


def export_personal_data(*, account) -> dict:
    """Everything held about an account, each app's part in turn (the account, its
    applicants, their bookings and payments, its waiting-list entries, the queue tickets of
    its bookings; for NIKs checked against a KTP at one of its bookings' check-ins, other queue
    tickets, the Eazy Passport lists and emergency hotline cases), and the audit events about
    all of these. Unmasked: it is the person's own data. Staff who acted are named by role
    only."""
    # Placeholder NIKs (start with 0) name nobody.
    niks = sorted(
        {
            nik
            for provider in providers()
            if provider.checked_niks
            for nik in provider.checked_niks(account)
            if nik and not nik.startswith("0")
        }
    )
    subject = Subject(account=account, niks=niks)
    parts = [
        provider.export(subject)
        for provider in sorted(_registry.values(), key=lambda p: p.export_rank)
        if provider.export
    ]
    filters = [part.audit for part in parts if part.audit is not None]
    events = AuditEvent.objects.filter(reduce(or_, filters)).order_by("at", "id") if filters else []
    data: dict[str, Any] = {"exported_at": iso(clock.now())}
    for part in parts:
        data.update(part.sections)
    data["audit_events"] = [
        {
            "at": iso(e.at),
            "action": e.action,
            "object_type": e.object_type,
            "object_id": e.object_id,
            "by": _actor(e, account),
            "before": e.before,
            "after": e.after,
        }
        for e in events
    ]
    return data


def _actor(event: AuditEvent, account) -> str:
    if event.actor_id == account.pk:
        return "you"
    if event.actor_id is None:
        return event.actor_label  # "system", "gateway"
    return "staff"


# --- Retention --------------------------------------------------------------------------------


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


def anonymise_closed_cases(
    *, retention_days: int | None = None, dry_run: bool = False
) -> RetentionResult:
    """Anonymise the personal data of cases closed more than `retention_days` ago (default
    LOKET_RETENTION_DAYS). Idempotent: a second run finds nothing left to do.

    In one transaction, every registered kind in turn (each app's `personal_data.py` says
    what it replaces), and the personal values in the audit snapshots of those rows. The
    apps' audit events (one per anonymised booking and applicant), then one for the run with
    the counts per kind. With `dry_run`, only counts (nothing is written, not even the run's
    audit event).
    """
    cutoff = retention_cutoff(retention_days=retention_days)
    now = clock.now()
    days = (now - cutoff).days
    kinds = retention_kinds()
    with transaction.atomic():
        due = {kind.name: kind.due(cutoff=cutoff) for kind in kinds}
        if dry_run:
            counts = {kind.name: due[kind.name].count() for kind in kinds}
            return RetentionResult(cutoff, counts, dry_run=True)

        run = RetentionRun(cutoff=cutoff, now=now, days=days)
        counts = {kind.name: kind.anonymise(rows=due[kind.name], run=run) for kind in kinds}
        run.events.append(
            AuditEvent(
                at=now,
                actor_label="system",
                action="retention.run",
                object_type="Retention",
                object_id=f"{cutoff:%Y-%m-%d}",
                after={"retention_days": days, "cutoff": cutoff.isoformat(), "counts": counts},
            )
        )
        AuditEvent.objects.bulk_create(run.events, batch_size=500)
    return RetentionResult(cutoff, counts)


# --- Closing an account ---------------------------------------------------------------------


class AccountHasOpenCases(DomainError, code="account_has_open_cases", status=409):
    message = _(
        "This account still has a booking that is not finished or a place on a waiting list. "
        "Cancel the booking or leave the waiting list first."
    )


class StaffAccount(DomainError, code="staff_account", status=403):
    message = _("Staff accounts are closed by an office administrator.")


class WrongPassword(DomainError, code="wrong_password", status=403):
    message = _("The password is not right.")


def close_account(*, account, password: str) -> None:
    """Close an applicant's account at their request (UU 27/2022): the login, e-mail and name
    go, its API tokens are revoked, and the people it applied for are anonymised as the
    retention rule would (name, phone, NIK, exact birth date). The bookings stay as the office's
    records, without a name, and lose their NIK under the retention rule like any other.

    Refused while an app has an open case for it (a booking still active, a waiting-list entry
    open), and for staff accounts (an administrator closes those). Locks the account row
    first, as booking does, so no booking can start for it while it closes.
    """
    if not account.check_password(password):
        raise WrongPassword()
    if account.is_staff or account.is_superuser:
        raise StaffAccount()
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=account.pk).first()
        open_cases = [p.has_open_cases(account) for p in providers() if p.has_open_cases]
        if any(open_cases):
            raise AccountHasOpenCases()
        now = clock.now()
        for provider in providers():
            if provider.close_account:
                provider.close_account(account=account, now=now)
