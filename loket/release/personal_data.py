"""What a fair release holds about people: the NIK of each place in its waiting room. A
place's case closes when the release's period (hours after the release, per channel; 24
without a setting) ended; then its NIK is replaced."""

import datetime as dt

from django.db.models import Q

from loket.core.personal_data import (
    Exported,
    PersonalData,
    RetentionKind,
    Subject,
    iso,
    placeholder_nik_expression,
)
from loket.release.models import FairRelease, WaitingEntry


def export(subject: Subject) -> Exported:
    places = list(
        WaitingEntry.objects.filter(account=subject.account)
        .select_related("channel__office")
        .order_by("arrived_at", "id")
    )
    return Exported(
        sections={
            "release_waiting_room": [
                {
                    "office": w.channel.office.code,
                    "channel": w.channel.code,
                    "release_at": iso(w.release_at),
                    "nik": w.nik,
                    "arrived_at": iso(w.arrived_at),
                    "place": w.ticket,
                    "booked_at": iso(w.used_at),
                }
                for w in places
            ]
        }
    )


def places_due(*, cutoff: dt.datetime):
    """Places in a release's waiting room whose period ended before the cutoff."""
    periods = dict(FairRelease.objects.values_list("channel_id", "period_hours"))
    ended = Q(release_at__lt=cutoff - dt.timedelta(hours=24)) & ~Q(channel_id__in=periods)
    for channel_id, hours in periods.items():
        ended |= Q(channel_id=channel_id, release_at__lt=cutoff - dt.timedelta(hours=hours))
    return WaitingEntry.objects.filter(ended).exclude(nik__startswith="0")


def anonymise_places(*, rows, run) -> int:
    return WaitingEntry.objects.filter(pk__in=list(rows.values_list("pk", flat=True))).update(
        nik=placeholder_nik_expression()
    )


PERSONAL_DATA = PersonalData(
    app="release",
    export_rank=60,
    export=export,
    retention_rank=70,
    kinds=(RetentionKind("release_places", places_due, anonymise_places),),
)
