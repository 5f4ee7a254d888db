"""One person, one live place, across every channel (README: "One person, one live place").

Each pair of channels: a NIK that holds a place in the first is refused by the second, with a
message naming the first channel and nothing else about it.
"""

import datetime as dt

import pytest

from loket.booking.services import ActiveBookingExists, ApplicantData, cancel_booking
from loket.capacity import live
from loket.capacity.models import LivePlace
from loket.core import clock
from loket.offices.models import Channel
from loket.outreach import eazy_passport, errors, service_days
from loket.outreach import hotline as outreach_hotline
from loket.queue import counter_actions, office_setup, walk_ins
from loket.queue.models import Ticket
from tests.conftest import make_nik
from tests.helpers import THURSDAY, book
from tests.outreach.test_participant_file import HEADER, person
from tests.outreach.test_requests import VISIT, data

BIRTH = dt.date(1950, 1, 1)  # elderly: a priority ground
NIK = make_nik(BIRTH, serial=7)


def applicant() -> ApplicantData:
    return ApplicantData(
        nik=NIK,
        name="Pak Harun",
        birth_date=BIRTH,
        sex="M",
        phone="081234567890",
        domicile_regency="3215",
    )


@pytest.fixture
def channels(
    office, account, desk, supervisor, hotline, coordinator, team, paten_rule, simpatik, now
):
    office_setup.ensure_office_queue(office=office)
    friday = service_days.generate_occurrences(
        rule=paten_rule, start=dt.date(2026, 12, 4), end=dt.date(2026, 12, 4)
    )[0]

    def online():
        online = Channel.objects.get(office=office, code="online")
        return book(account, online, day=THURSDAY, window=dt.time(8, 0), applicant=applicant())

    def paten():
        return service_days.book_service_day(
            account=account,
            occurrence=friday,
            application_type="new",
            purpose="tourism",
            passport_type="ordinary",
            applicant=applicant(),
        )

    def walk_in(kind, officer):
        return lambda: walk_ins.issue_walk_in_ticket(
            office=office, lane_kind=kind, name="Pak Harun", nik=NIK, officer=officer
        )

    def emergency_case():
        case = outreach_hotline.record_emergency_case(
            office=office,
            actor=hotline,
            caller_name="Ibu Sari",
            caller_phone="081298765432",
            nik=NIK,
            applicant_name="Pak Harun",
            domicile_regency="3215",
            reason="medical_abroad",
            notes="Operasi",
        )
        return outreach_hotline.approve_emergency_case(
            case=case, actor=supervisor, service_date=dt.date(2026, 12, 2), reason="Surat RS"
        )

    def outreach():
        rows = f"{NIK},Pak Harun,{BIRTH:%Y-%m-%d},new\n" + "".join(
            person(i) for i in range(100 + LivePlace.objects.count() * 30, 125)
        )
        request = eazy_passport.submit_outreach_request(
            office=office, data=data(), participants_file=(HEADER + rows).encode()
        )
        day = VISIT + dt.timedelta(days=LivePlace.objects.filter(channel_kind="outreach").count())
        return eazy_passport.approve_outreach_request(
            request=request, visit_date=day, team=team, actor=coordinator
        )

    simpatik_day = service_days.create_one_off_day(
        office=office,
        channel=simpatik,
        name="Paspor Simpatik",
        day=now.date(),
        location="Kantor",
        quota=5,
    )

    def simpatik_walk_in():
        return service_days.admit_walk_in(
            occurrence=simpatik_day, name="Pak Harun", actor=desk, nik=NIK
        )

    return {
        "simpatik": simpatik_walk_in,
        "online": online,
        "event": paten,
        "priority": walk_in("priority", desk),
        "lost_damaged": walk_in("lost_damaged", desk),
        "emergency": walk_in("emergency", supervisor),
        "emergency_case": emergency_case,
        "outreach": outreach,
    }


KINDS = [
    "online",
    "event",
    "priority",
    "lost_damaged",
    "emergency",
    "emergency_case",
    "outreach",
    "simpatik",
]
CHANNEL_OF = {"emergency_case": "emergency"}


@pytest.mark.parametrize("first", KINDS)
@pytest.mark.parametrize("second", KINDS)
def test_a_second_place_in_any_channel_is_refused(channels, first, second):
    """Whatever channel holds the person's place, every channel refuses a second one."""
    channels[first]()
    held = LivePlace.objects.get(nik=NIK)
    assert held.channel_kind == CHANNEL_OF.get(first, first)
    expected = (live.LivePlaceExists, ActiveBookingExists, errors.ParticipantsHoldLivePlaces)
    with pytest.raises(expected) as refused:
        channels[second]()
    if isinstance(refused.value, live.LivePlaceExists):
        assert live.channel_name(held.channel_kind) in str(refused.value)
        assert refused.value.code == "live_place_exists"
    if isinstance(refused.value, errors.ParticipantsHoldLivePlaces):
        assert "rows 2" in str(refused.value)
    assert LivePlace.objects.filter(nik=NIK).count() == 1


def test_the_same_priority_walk_in_twice_a_day_is_refused(channels, office):
    """Bug: the desk's "Datang langsung" form sent twice gave the same NIK P001, then P003."""
    first = channels["priority"]()
    assert first.display == "P001"
    with pytest.raises(live.LivePlaceExists, match="priority walk-in"):
        channels["priority"]()
    assert Ticket.objects.filter(applicant_nik=NIK).count() == 1


def test_two_eazy_passport_visits_then_a_paten_booking_are_refused(channels):
    """Bug: one NIK held two Eazy Passport places (two requests, both approved) and then a
    PATEN booking. The second approval and the booking are refused."""
    channels["outreach"]()
    with pytest.raises(errors.ParticipantsHoldLivePlaces, match="rows 2"):
        channels["outreach"]()
    with pytest.raises(live.LivePlaceExists, match="Eazy Passport"):
        channels["event"]()


def test_a_cancelled_booking_frees_the_person_for_a_walk_in(channels, account):
    """The live place ends with its booking: cancelled, the person may walk in."""
    booking = channels["online"]()
    cancel_booking(account=account, code=booking.code)
    assert not LivePlace.objects.filter(nik=NIK).exists()
    assert channels["priority"]().display == "P001"


def test_a_served_walk_in_frees_the_person(channels, office, desk):
    """The ticket done, the person may book online (a later appointment)."""
    from tests.queue.conftest import make_staff

    ticket = channels["priority"]()
    officer = make_staff(office, "loket9@contoh.id", "counter")
    counter = office_setup.save_counter(office=office, number=9)
    while ticket.status != "done":
        counter_actions.call_next_ticket(counter=counter, officer=officer)
        counter_actions.start_service(counter=counter, officer=officer)
        ticket = counter_actions.complete_ticket(counter=counter, officer=officer)
    assert not LivePlace.objects.filter(nik=NIK).exists()
    assert channels["online"]().status == "awaiting_payment"


def test_a_place_whose_day_has_passed_gives_way(channels, now):
    """A walk-in never served: the next day its claim has lapsed."""
    channels["priority"]()
    with clock.frozen_at(now + dt.timedelta(days=1)):
        assert channels["online"]().status == "awaiting_payment"
    assert LivePlace.objects.get(nik=NIK).channel_kind == "online"


def test_the_migration_claims_live_places_and_keeps_the_oldest_of_duplicates(channels, capsys):
    """Existing rows: each live place is claimed; a NIK live twice keeps its oldest place."""
    import importlib

    from django.apps import apps

    backfill = importlib.import_module(
        "loket.capacity.migrations.0003_backfill_live_places"
    ).backfill
    booking = channels["online"]()
    LivePlace.objects.all().delete()  # as before the claims existed:
    channels["priority"]()  # the same person also walks in (the old bug)
    LivePlace.objects.all().delete()
    backfill(apps, None)
    held = LivePlace.objects.get(nik=NIK)
    assert held.holder == f"booking:{booking.code}"
    assert "not claimed" in capsys.readouterr().out


def test_the_refusal_is_in_bahasa_indonesia_on_the_pages(channels):
    """The message names the holding channel in the applicant's words, nothing more."""
    from django.utils import translation

    channels["priority"]()
    with translation.override("id"), pytest.raises(live.LivePlaceExists) as refused:
        channels["online"]()
    with translation.override("id"):
        text = str(refused.value)
    assert text.startswith("NIK ini sudah memiliki permohonan paspor yang sedang berjalan")
    assert "nomor antrean layanan prioritas" in text
    assert "Harun" not in text and NIK not in text


def test_the_worker_clears_places_whose_day_has_passed(channels, now):
    """A walk-in never served keeps no NIK once its day is over (personal data)."""
    channels["priority"]()
    assert live.clear_lapsed_places() == 0
    with clock.frozen_at(now + dt.timedelta(days=1)):
        assert live.clear_lapsed_places() == 1
    assert not LivePlace.objects.exists()
