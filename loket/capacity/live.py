"""One person, one live place: the only writer of LivePlace (see README).

Every channel that gives a person a place (an online or service-day booking, a priority,
lost/damaged or emergency walk-in ticket, an approved emergency case, an Eazy Passport
participant, a Paspor Simpatik walk-in with its NIK) claims the person's NIK here in the same
transaction; the unique NIK refuses a second claim, whichever channel holds the first. The
holder releases it when its place ends (served, cancelled, expired, no-show); a claim whose
day has passed has lapsed and gives way."""

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from loket.capacity.models import LivePlace
from loket.core import clock
from loket.core.errors import DomainError
from loket.offices.models import ChannelKind, Office

# The names an applicant knows each channel by (ChannelKind's are the office's).
CHANNEL_NAMES = {
    ChannelKind.ONLINE: _("an online appointment"),
    ChannelKind.EVENT: _("a service day (PATEN) booking"),
    ChannelKind.PRIORITY: _("a priority walk-in ticket"),
    ChannelKind.LOST_DAMAGED: _("a lost or damaged passport ticket"),
    ChannelKind.EMERGENCY: _("an emergency service"),
    ChannelKind.OUTREACH: _("an Eazy Passport visit"),
    ChannelKind.SIMPATIK: _("a Paspor Simpatik walk-in"),
}


class LivePlaceExists(DomainError, code="live_place_exists", status=409):
    message = _(
        "This NIK already has a passport application in progress: %(channel)s. One person "
        "holds one place at a time: use or cancel that one first."
    )


def channel_name(kind: str) -> str:
    return str(CHANNEL_NAMES.get(kind, kind))


def holder_of(obj) -> str:
    """The holder key of a booking, ticket, case or participant ("booking:AB12CD34")."""
    key = getattr(obj, "code", None) if type(obj).__name__ == "Booking" else obj.pk
    return f"{type(obj).__name__.lower()}:{key}"


def _lapsed(place: LivePlace) -> bool:
    return place.date < clock.local_today(place.office.time_zone)


def new_claim(*, nik: str, kind: str, holder: str, office: Office, day: dt.date) -> LivePlace:
    return LivePlace(
        nik=nik, channel_kind=kind, holder=holder, office=office, date=day, taken_at=clock.now()
    )


def clear_lapsed(*, nik: str) -> bool:
    """Delete the NIK's claim if its day has passed; True if one went."""
    place = LivePlace.objects.select_related("office").filter(nik=nik).first()
    if place is None or not _lapsed(place):
        return False
    return LivePlace.objects.filter(pk=place.pk, date=place.date).delete()[0] > 0


def clear_lapsed_places() -> int:
    """Delete every claim whose day has passed (worker step: a lapsed claim keeps a NIK for
    nothing). Days end first in the west: past in the project's time zone (WIB) is past in
    every Indonesian office."""
    today = clock.local_today(settings.TIME_ZONE)
    return LivePlace.objects.filter(date__lt=today).delete()[0]


def refusal(nik: str) -> LivePlaceExists:
    """The error for a NIK whose claim is held (the holder's channel, nothing else about it)."""
    place = LivePlace.objects.filter(nik=nik).first()
    return LivePlaceExists(channel=channel_name(place.channel_kind) if place else "?")


def is_refused_claim(exc: IntegrityError) -> bool:
    """Whether an IntegrityError is the one-live-place index refusing a second claim."""
    text = str(exc)
    return "live_place_one_per_nik" in text or "capacity_liveplace.nik" in text


def claim(*, nik: str, kind: str, holder: str, office: Office, day: dt.date) -> None:
    """Claim the NIK's one live place for `holder`, in the caller's transaction.

    Locks: the NIK's entry of the unique index (a concurrent claim waits, then is refused).
    A lapsed claim gives way; a live one raises LivePlaceExists naming its channel.
    """
    if not nik:
        return
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                new_claim(nik=nik, kind=kind, holder=holder, office=office, day=day).save(
                    force_insert=True
                )
            return
        except IntegrityError as exc:
            if not is_refused_claim(exc):
                raise
            if attempt == 2 or not clear_lapsed(nik=nik):
                raise refusal(nik) from None


def claim_many(claims: list[LivePlace]) -> list[LivePlace]:
    """Claim several NIKs at once (an Eazy Passport visit); returns the claims refused (held
    by a live place elsewhere, or twice in `claims`) and claims none when any is refused."""
    niks = [c.nik for c in claims]
    for nik in set(LivePlace.objects.filter(nik__in=niks).values_list("nik", flat=True)):
        clear_lapsed(nik=nik)
    held = set(LivePlace.objects.filter(nik__in=niks).values_list("nik", flat=True))
    seen: set[str] = set()
    refused = []
    for c in claims:
        if c.nik in held or c.nik in seen:
            refused.append(c)
        seen.add(c.nik)
    if refused:
        return refused
    try:
        with transaction.atomic():
            LivePlace.objects.bulk_create(claims)
    except IntegrityError as exc:  # claimed meanwhile by another channel
        if not is_refused_claim(exc):
            raise
        return claim_many(claims)
    return []


def release(*, holder: str) -> None:
    """The holder's place ended: its NIK may take another."""
    LivePlace.objects.filter(holder=holder).delete()


def move(*, holder: str, day: dt.date) -> None:
    """The holder's place moved to another day (a rescheduled booking, a moved service day)."""
    LivePlace.objects.filter(holder=holder).update(date=day)


def release_day(*, nik: str, day: dt.date) -> None:
    """The person was served (or missed their turn) on `day`: their claim of that day ends."""
    if nik:
        LivePlace.objects.filter(nik=nik, date=day).delete()


def check_free(*, nik: str) -> None:
    """Refuse early if the NIK holds a live place (the claim itself is the guarantee)."""
    if nik and LivePlace.objects.filter(nik=nik).exists() and not clear_lapsed(nik=nik):
        raise refusal(nik)
