"""Signing in to a counter: one officer per counter at a time, and only they operate it.

Held by the database (CounterSignIn's partial unique indexes: one open sign-in per counter and
one per officer). A supervisor (or an administrator) may take over a counter someone else holds;
the take-over names who held it in the audit trail. Logging out, or a staff session timing out,
ends the officer's sign-in.
"""

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from loket.core import audit, clock
from loket.core.errors import DomainError
from loket.core.errors import PermissionDenied as DomainPermissionDenied
from loket.queue.models import Counter, CounterSignIn, CounterSignInEnd


class CounterTaken(DomainError, code="counter_taken", status=409):
    message = _(
        "Another officer is signed in to this counter. Ask them to sign out, or a supervisor "
        "to take over."
    )


class CounterNotSignedIn(DomainError, code="counter_not_signed_in", status=409):
    message = _("Sign in to this counter first: only the officer signed in to it may operate it.")


class TakeOverNotAllowed(DomainPermissionDenied, code="take_over_not_allowed"):
    message = _("Only a supervisor or an administrator may take over a counter.")


def current_sign_in(counter: Counter) -> CounterSignIn | None:
    return (
        CounterSignIn.objects.select_related("officer")
        .filter(counter=counter, ended_at__isnull=True)
        .first()
    )


def _end(sign_in: CounterSignIn, *, reason: str, by) -> None:
    CounterSignIn.objects.filter(pk=sign_in.pk, ended_at__isnull=True).update(
        ended_at=clock.now(), end_reason=reason, ended_by=by
    )


def _idle_before() -> dt.datetime:
    return clock.now() - dt.timedelta(minutes=settings.LOKET_STAFF_IDLE_MINUTES)


def touch(*, counter: Counter, officer) -> None:
    """The officer acted at the counter: keep the sign-in alive (one write a minute at most)."""
    now = clock.now()
    CounterSignIn.objects.filter(
        counter=counter,
        officer=officer,
        ended_at__isnull=True,
        last_active_at__lt=now - dt.timedelta(minutes=1),
    ).update(last_active_at=now)


def sign_in(*, counter: Counter, officer, take_over: bool = False, may_take_over: bool = False):
    """Sign `officer` in to `counter` (ending their sign-in at another counter).

    Locks: the counter row, then the open sign-in rows. A counter held by another officer is
    refused (409 `counter_taken`) unless `take_over` by someone who `may_take_over`.
    """
    try:
        with transaction.atomic():
            Counter.objects.select_for_update().filter(pk=counter.pk).first()
            held = current_sign_in(counter)
            if held is not None and held.officer_id == officer.pk:
                return held
            if held is not None and held.last_active_at < _idle_before():
                # Left signed in on an abandoned PC: the counter is free again.
                _end(held, reason=CounterSignInEnd.LOGGED_OUT, by=None)
                audit.record(
                    action="counter.sign_in_lapsed",
                    obj=counter,
                    object_id=str(counter.number),
                    actor_label="system",
                    office=counter.office,
                    before={"officer": held.officer.email},
                )
                held = None
            if held is not None:
                if not take_over:
                    raise CounterTaken()
                if not may_take_over:
                    raise TakeOverNotAllowed()
                _end(held, reason=CounterSignInEnd.TAKEN_OVER, by=officer)
                audit.record(
                    action="counter.taken_over",
                    obj=counter,
                    object_id=str(counter.number),
                    actor=officer,
                    office=counter.office,
                    before={"officer": held.officer.email},
                    after={"officer": officer.email},
                )
            for other in CounterSignIn.objects.filter(officer=officer, ended_at__isnull=True):
                _end(other, reason=CounterSignInEnd.MOVED, by=officer)
            now = clock.now()
            created = CounterSignIn.objects.create(
                counter=counter, officer=officer, started_at=now, last_active_at=now
            )
            audit.record(
                action="counter.signed_in",
                obj=counter,
                object_id=str(counter.number),
                actor=officer,
                office=counter.office,
                after={"officer": officer.email},
            )
            return created
    except IntegrityError:
        # Someone signed in to the same counter (or this officer elsewhere) at the same moment.
        raise CounterTaken() from None


def sign_out(*, counter: Counter, officer) -> None:
    with transaction.atomic():
        held = CounterSignIn.objects.filter(
            counter=counter, officer=officer, ended_at__isnull=True
        ).first()
        if held is None:
            return
        _end(held, reason=CounterSignInEnd.SIGNED_OUT, by=officer)
        audit.record(
            action="counter.signed_out",
            obj=counter,
            object_id=str(counter.number),
            actor=officer,
            office=counter.office,
        )


def end_officer_sign_ins(*, officer) -> int:
    """The officer logged out (or their session timed out): their counter is free again."""
    return CounterSignIn.objects.filter(officer=officer, ended_at__isnull=True).update(
        ended_at=clock.now(), end_reason=CounterSignInEnd.LOGGED_OUT, ended_by=officer
    )


def require_signed_in(*, counter: Counter, officer) -> None:
    """Refuse unless `officer` holds the counter; then keep the sign-in alive."""
    if not CounterSignIn.objects.filter(
        counter=counter, officer=officer, ended_at__isnull=True
    ).exists():
        raise CounterNotSignedIn()
    touch(counter=counter, officer=officer)


def on_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        end_officer_sign_ins(officer=user)
