"""What the ledger holds about people: a NIK's one live place (see README, "One person, one
live place").

A live place is deleted when its booking, ticket, case or participant place ends, and the
worker deletes those whose day has passed, so nothing is left for a retention run. The download
shows the live places of the NIKs an officer checked for the account."""

from loket.capacity.models import LivePlace
from loket.core.personal_data import Exported, PersonalData, Subject, iso


def export(subject: Subject) -> Exported:
    places = LivePlace.objects.filter(nik__in=subject.niks).select_related("office")
    return Exported(
        sections={
            "live_places": [
                {
                    "nik": place.nik,
                    "channel": place.channel_kind,
                    "office": place.office.code,
                    "date": iso(place.date),
                    "taken_at": iso(place.taken_at),
                }
                for place in places.order_by("taken_at", "id")
            ]
        }
    )


PERSONAL_DATA = PersonalData(app="capacity", export_rank=80, export=export)
