"""The fair-release waiting room.

A release is one (channel, release moment). From `opens_minutes_before` the release until
`lottery_seconds` after it, everyone who joins draws a random ticket: their order among the
early arrivals is a lottery, so how early or how often someone clicked in that period makes no
difference. Later arrivals get tickets in arrival order, after every lottery ticket. A place in
line is the rank of the ticket; joining again (refresh, reconnect, another device) returns the
same row: one per account, held by a unique constraint. One NIK has one usable place (a
partial unique constraint); a NIK joining again through another account gets a place that is
answered like any other but never admits a booking (at its turn the booking gets the identity
refusal, as for a NIK booked by another account), so joining tells nobody whether another
account already put that NIK in line.

Admission is a schedule, not a worker: rank r is let in at
`lottery end + (r - 1) / admit_per_minute` (or on arrival, if that moment has passed) and may
book until `turn_seconds` later. Every app process computes the same answer from the database,
so it holds across processes with PostgreSQL. During the release period a booking on such a
channel needs a current admission for the booked NIK, used once (in the booking transaction).
"""

import datetime as dt
import secrets
import zoneinfo
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from loket.booking import config_cache
from loket.core import clock
from loket.core.errors import DomainError, InvalidInput
from loket.identity.nik import is_nik_format, normalize_nik
from loket.identity.registry import IdentityNotConfirmed
from loket.offices.domain import release_moment
from loket.offices.models import Channel
from loket.offices.selectors import ChannelPlan
from loket.release.models import LATE_BASE, FairRelease, WaitingEntry


class AdmissionRequired(DomainError, code="release_admission_required", status=409):
    message = _(
        "Places for this date are being released through the waiting room. Join the waiting "
        "room and book when it is your turn."
    )


class TurnNotYet(AdmissionRequired, code="release_turn_not_yet"):
    message = _("It is not your turn yet. Your place in the waiting room is kept.")


class TurnPassed(AdmissionRequired, code="release_turn_passed"):
    message = _("Your turn to book has passed.")


class AdmissionUsed(AdmissionRequired, code="release_admission_used"):
    message = _("This turn was already used for a booking.")


class RoomClosed(DomainError, code="release_room_closed", status=409):
    message = _("The waiting room for this date is not open.")


class AlreadyInLine(DomainError, code="release_already_in_line", status=409):
    message = _(
        "Your account already has a place in this waiting room, for another person. One "
        "account has one place: book for that person when it is your turn."
    )


class NikInvalid(InvalidInput, code="nik_invalid"):
    message = _("A NIK has 16 digits.")


@dataclass(frozen=True)
class Release:
    setting: FairRelease
    channel: Channel
    release_at: dt.datetime  # aware

    @property
    def opens_at(self) -> dt.datetime:
        return self.release_at - dt.timedelta(minutes=self.setting.opens_minutes_before)

    @property
    def lottery_ends_at(self) -> dt.datetime:
        return self.release_at + dt.timedelta(seconds=self.setting.lottery_seconds)

    @property
    def ends_at(self) -> dt.datetime:
        return self.release_at + dt.timedelta(hours=self.setting.period_hours)

    def is_on(self, moment: dt.datetime) -> bool:
        return self.opens_at <= moment < self.ends_at


@dataclass(frozen=True)
class Place:
    """What a person in the waiting room is told."""

    entry: WaitingEntry
    release: Release
    state: str  # lottery, waiting, admitted, passed, used
    position: int | None  # None until the lottery is drawn (for lottery tickets)
    people_ahead: int | None
    admitted_from: dt.datetime | None
    admitted_until: dt.datetime | None
    estimate_seconds: int | None  # until admitted_from (lottery: until the draw at the latest)


def fair_setting(channel: Channel) -> FairRelease | None:
    """The channel's enabled waiting-room setting (cached with the office configuration)."""

    def load():
        return FairRelease.objects.filter(channel_id=channel.pk, enabled=True).first()

    return config_cache.cached(("fair", channel.pk), load)


def release_for(channel: Channel, day: dt.date, plan: ChannelPlan | None = None) -> Release | None:
    setting = fair_setting(channel)
    if setting is None:
        return None
    plan = plan or config_cache.day_plan(channel, day)
    try:
        local = release_moment(plan.policy, day)
        tz = zoneinfo.ZoneInfo(channel.office.time_zone)
        release = Release(setting, channel, local.replace(tzinfo=tz))
        release.opens_at, release.ends_at  # noqa: B018 - a date at the calendar's edge
    except (OverflowError, ValueError):
        return None
    return release


def _rank(entry: WaitingEntry) -> int:
    ahead = (
        WaitingEntry.objects.filter(channel_id=entry.channel_id, release_at=entry.release_at)
        .filter(Q(ticket__lt=entry.ticket) | Q(ticket=entry.ticket, pk__lt=entry.pk))
        .count()
    )
    return ahead + 1


def place_of(entry: WaitingEntry, release: Release, now: dt.datetime | None = None) -> Place:
    now = now or clock.now()
    if entry.used_at is not None:
        return Place(entry, release, "used", None, None, None, None, None)
    if entry.drawn_by_lottery and now < release.lottery_ends_at:
        wait = int((release.lottery_ends_at - now).total_seconds())
        return Place(entry, release, "lottery", None, None, None, None, wait)
    rank = _rank(entry)
    rate = release.setting.admit_per_minute
    scheduled = release.lottery_ends_at + dt.timedelta(seconds=(rank - 1) * 60 / rate)
    admitted_from = max(scheduled, entry.arrived_at)
    admitted_until = admitted_from + dt.timedelta(seconds=release.setting.turn_seconds)
    if now < admitted_from:
        state = "waiting"
    elif now < admitted_until:
        state = "admitted"
    else:
        state = "passed"
    wait = max(int((admitted_from - now).total_seconds()), 0)
    return Place(entry, release, state, rank, rank - 1, admitted_from, admitted_until, wait)


def _new_place(*, account, release: Release, nik: str, now: dt.datetime) -> WaitingEntry:
    """The account's place, made once. A NIK that already has a place through another account
    gets a place too, marked (`nik_held_elsewhere`): the answer is the same either way."""
    if now < release.lottery_ends_at:
        ticket = secrets.randbelow(LATE_BASE)
    else:
        ticket = LATE_BASE + int((now - release.release_at).total_seconds() * 1_000_000)
    row = {
        "channel": release.channel,
        "release_at": release.release_at,
        "account": account,
        "nik": nik,
        "arrived_at": now,
        "ticket": ticket,
    }
    try:
        with transaction.atomic():
            held_elsewhere = _nik_has_place(release, nik)
            return WaitingEntry.objects.create(**row, nik_held_elsewhere=held_elsewhere)
    except IntegrityError:
        mine = _place_of_account(release, account)
        if mine is not None:  # the account joined at the same moment
            return mine
    # The NIK took its usable place through another account at the same moment.
    try:
        with transaction.atomic():
            return WaitingEntry.objects.create(**row, nik_held_elsewhere=True)
    except IntegrityError:
        return WaitingEntry.objects.get(
            channel_id=release.channel.pk, release_at=release.release_at, account=account
        )


def _nik_has_place(release: Release, nik: str) -> bool:
    return WaitingEntry.objects.filter(
        channel_id=release.channel.pk,
        release_at=release.release_at,
        nik=nik,
        nik_held_elsewhere=False,
    ).exists()


def _place_of_account(release: Release, account) -> WaitingEntry | None:
    return WaitingEntry.objects.filter(
        channel_id=release.channel.pk, release_at=release.release_at, account=account
    ).first()


def join(*, account, channel: Channel, day: dt.date, nik: str) -> Place:
    """A place in the waiting room of the release of `day`. Joining again returns the same.

    The answer never depends on other accounts' places: a NIK already in line through another
    account is answered with a place like any other, which never admits a booking (see
    `use_admission`). Only the account's own place for another person is refused here.
    """
    nik = normalize_nik(nik)
    if not is_nik_format(nik):
        raise NikInvalid()
    release = release_for(channel, day)
    now = clock.now()
    if release is None or not release.is_on(now):
        raise RoomClosed()
    existing = _place_of_account(release, account)
    if existing is None:
        existing = _new_place(account=account, release=release, nik=nik, now=now)
    if existing.nik != nik:
        raise AlreadyInLine()
    return place_of(existing, release, now)


def my_place(*, account, channel: Channel, day: dt.date) -> Place | None:
    release = release_for(channel, day)
    if release is None:
        return None
    entry = WaitingEntry.objects.filter(
        channel=channel, release_at=release.release_at, account=account
    ).first()
    return place_of(entry, release) if entry else None


def use_admission(*, account, channel: Channel, day: dt.date, nik: str) -> None:
    """Called inside the booking transaction: refuse without a current, unused admission for
    this NIK while the release's waiting room governs the channel; mark it used otherwise."""
    release = release_for(channel, day)
    if release is None:
        return
    now = clock.now()
    if not release.is_on(now):
        return
    entry = WaitingEntry.objects.filter(
        channel=channel, release_at=release.release_at, account=account, nik=nik
    ).first()
    if entry is None:
        raise AdmissionRequired()
    place = place_of(entry, release, now)
    if place.state == "used":
        raise AdmissionUsed()
    if place.state in ("lottery", "waiting"):
        raise TurnNotYet()
    if place.state == "passed":
        raise TurnPassed()
    if entry.nik_held_elsewhere:
        # The booking's answer for a NIK whose booking is another account's: the same as for
        # a name and birth date that do not match the NIK (loket.identity.registry).
        raise IdentityNotConfirmed()
    if not WaitingEntry.objects.filter(pk=entry.pk, used_at__isnull=True).update(used_at=now):
        raise AdmissionUsed()
