"""The fair-release waiting room: lottery, then first come first served; admission to book."""

import datetime as dt
import json

import pytest
from django.db import IntegrityError, transaction

from loket.accounts.services import create_verified_account
from loket.booking.models import BookingStatus
from loket.core import clock
from loket.identity.registry import IdentityNotConfirmed
from loket.release import services
from loket.release.models import LATE_BASE, FairRelease, WaitingEntry
from tests.conftest import make_nik
from tests.helpers import book, person

DAY = dt.date(2027, 1, 12)  # a Tuesday, released 30 days before (rolling rule)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def fair(online):
    return FairRelease.objects.create(
        channel=online, lottery_seconds=600, admit_per_minute=2, turn_seconds=300
    )


@pytest.fixture
def release(fair, online):
    return services.release_for(online, DAY)


def accounts(n: int) -> list:
    return [
        create_verified_account(email=f"p{i}@contoh.id", password="x-long-pw-1") for i in range(n)
    ]


def nik(i: int) -> str:
    return make_nik(dt.date(1980, 1, 1) + dt.timedelta(days=i), serial=1)


def join(account, online, i: int):
    return services.join(account=account, channel=online, day=DAY, nik=nik(i))


def test_the_release_moment_follows_the_channel_rule(release):
    assert release.release_at.date() == DAY - dt.timedelta(days=30)


def test_early_arrivals_draw_lots_and_late_ones_queue_in_arrival_order(online, release):
    people = accounts(8)
    with clock.frozen_at(release.release_at - dt.timedelta(minutes=5)):
        first = join(people[0], online, 0)  # before the release: in the lottery too
    for i, account in enumerate(people[1:6], start=1):
        with clock.frozen_at(release.release_at + dt.timedelta(seconds=10 * i)):
            place = join(account, online, i)
            assert place.state == "lottery" and place.position is None
    assert first.state == "lottery"
    with clock.frozen_at(release.lottery_ends_at + dt.timedelta(seconds=1)):
        late_a = join(people[6], online, 6)
    with clock.frozen_at(release.lottery_ends_at + dt.timedelta(seconds=2)):
        late_b = join(people[7], online, 7)
        drawn = [services.my_place(account=a, channel=online, day=DAY).position for a in people[:6]]
    assert sorted(drawn) == [1, 2, 3, 4, 5, 6]
    assert (late_a.position, late_b.position) == (7, 8)
    assert all(
        e.ticket < LATE_BASE
        for e in WaitingEntry.objects.filter(arrived_at__lt=release.lottery_ends_at)
    )


def test_the_lottery_does_not_favour_early_or_frequent_arrivals(online, release):
    """Over many draws, the first arrival's mean place is the middle of the line."""
    people = accounts(20)
    with clock.frozen_at(release.release_at):
        for i, account in enumerate(people):
            join(account, online, i)
            for _ in range(3):  # refreshing changes nothing
                join(account, online, i)
    tickets = list(WaitingEntry.objects.order_by("ticket").values_list("account_id", flat=True))
    assert sorted(tickets) == sorted(a.pk for a in people)
    assert tickets != [a.pk for a in people]  # not arrival order (chance 1/20!)


def test_joining_again_never_changes_the_place(online, release, account):
    with clock.frozen_at(release.release_at + dt.timedelta(seconds=5)):
        first = join(account, online, 1)
    with clock.frozen_at(release.release_at + dt.timedelta(seconds=50)):
        again = join(account, online, 1)
    assert again.entry.pk == first.entry.pk and again.entry.ticket == first.entry.ticket
    assert WaitingEntry.objects.count() == 1


def test_one_place_per_account(online, release, account):
    with clock.frozen_at(release.release_at):
        join(account, online, 1)
        with pytest.raises(services.AlreadyInLine) as exc:
            join(account, online, 2)  # same account, another person
    assert exc.value.code == "release_already_in_line"
    assert WaitingEntry.objects.count() == 1


def test_one_usable_place_per_nik_is_held_by_the_database(online, release, account, other_account):
    with clock.frozen_at(release.release_at):
        join(account, online, 1)
    entry = WaitingEntry.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        WaitingEntry.objects.create(
            channel=online,
            release_at=entry.release_at,
            account=other_account,
            nik=entry.nik,
            arrived_at=entry.arrived_at,
            ticket=1,
        )


def test_joining_tells_nobody_whether_another_account_put_the_nik_in_line(
    online, release, account, other_account
):
    """The same answer for a NIK in line through another account and for a fresh one; only
    the holder's place can book: the other gets, at its turn, the booking's identity refusal
    (the answer for a name and birth date that do not match), never "already in line"."""
    third = create_verified_account(email="p9@contoh.id", password="x-long-pw-1")
    with clock.frozen_at(release.lottery_ends_at + dt.timedelta(seconds=1)):
        holder = join(account, online, 1)
    with clock.frozen_at(release.lottery_ends_at + dt.timedelta(seconds=2)):
        taken = join(other_account, online, 1)  # the holder's NIK
    with clock.frozen_at(release.lottery_ends_at + dt.timedelta(seconds=3)):
        fresh = join(third, online, 2)  # a NIK nobody put in line
    assert (holder.position, taken.position, fresh.position) == (1, 2, 3)
    assert taken.state == fresh.state == "waiting"  # 2 a minute: let in 30 s apart
    assert services.my_place(account=other_account, channel=online, day=DAY).position == 2
    assert WaitingEntry.objects.filter(nik=nik(1), nik_held_elsewhere=False).get().pk == (
        holder.entry.pk
    )
    with clock.frozen_at(release.lottery_ends_at + dt.timedelta(seconds=31)):
        assert services.my_place(account=other_account, channel=online, day=DAY).state == (
            "admitted"
        )
        with pytest.raises(IdentityNotConfirmed) as exc:
            book(other_account, online, day=DAY, applicant=person(dt.date(1980, 1, 2)))
        assert exc.value.code == "identity_not_confirmed"
        # The same answer as for a name that does not match the NIK:
        with pytest.raises(IdentityNotConfirmed):
            book(third, online, day=DAY, applicant=person(dt.date(1980, 1, 2), name="Lain"))
        made = book(account, online, day=DAY, applicant=person(dt.date(1980, 1, 2)))
        assert made.status == BookingStatus.AWAITING_PAYMENT


def test_the_api_answers_alike_for_a_nik_in_line_elsewhere_and_a_fresh_one(
    client, online, release, account, other_account
):
    from loket.accounts.services import issue_token

    create_verified_account(email="p9@contoh.id", password="x-long-pw-1")
    headers = {
        email: {"HTTP_AUTHORIZATION": f"Bearer {issue_token(email=email, password=pw)}"}
        for email, pw in [("siti@contoh.id", "rahasia-panjang-2"), ("p9@contoh.id", "x-long-pw-1")]
    }
    with clock.frozen_at(release.release_at):
        join(account, online, 1)
        answers = []
        for email, i in [("siti@contoh.id", 1), ("p9@contoh.id", 2)]:
            body = {"office": "KRW", "channel": "online", "date": DAY.isoformat(), "nik": nik(i)}
            r = client.post(
                "/api/v1/release/join", json.dumps(body), "application/json", **headers[email]
            )
            answers.append((r.status_code, r.json()))
    (taken_status, taken), (fresh_status, fresh) = answers
    assert taken_status == fresh_status == 200
    assert taken.keys() == fresh.keys()
    assert taken == fresh  # in the lottery: no position yet, the same times


def test_the_page_answers_alike_for_a_nik_in_line_elsewhere(
    client, online, release, account, other_account
):
    from loket.accounts.services import save_applicant

    for who in (account, other_account):
        with transaction.atomic():
            save_applicant(
                account=who,
                nik=nik(0),
                name="Budi",
                birth_date=dt.date(1980, 1, 1),
                sex="M",
                phone="081234567890",
                domicile_regency="32.15",
                married=False,
                today=dt.date(2026, 12, 1),
            )
    url = f"/release/KRW/online/{DAY.isoformat()}/"
    pages = []
    for who in (account, other_account):
        client.force_login(who)
        with clock.frozen_at(release.release_at):
            r = client.post(url, {"applicant": who.applicants.get().pk})
            assert r.status_code == 302, r.content
            pages.append(client.get(url).content)
    assert b"You are in the lottery" in pages[1]
    assert (
        pages[0].replace(b"budi@", b"").split(b"<main")[1]
        == pages[1].replace(b"siti@", b"").split(b"<main")[1]
    )


def test_the_room_is_closed_outside_the_release_period(online, release, account):
    with clock.frozen_at(release.opens_at - dt.timedelta(seconds=1)):
        with pytest.raises(services.RoomClosed):
            join(account, online, 1)
    with clock.frozen_at(release.ends_at), pytest.raises(services.RoomClosed):
        join(account, online, 1)


def test_admission_follows_the_rate_and_the_estimate_is_honest(online, release):
    people = accounts(3)
    with clock.frozen_at(release.release_at):
        for i, a in enumerate(people):
            join(a, online, i)
    with clock.frozen_at(release.lottery_ends_at):
        places = sorted(
            (services.my_place(account=a, channel=online, day=DAY) for a in people),
            key=lambda p: p.position,
        )
    # 2 a minute: ranks 1, 2, 3 are let in at +0 s, +30 s, +60 s after the lottery.
    assert [p.admitted_from - release.lottery_ends_at for p in places] == [
        dt.timedelta(seconds=0),
        dt.timedelta(seconds=30),
        dt.timedelta(seconds=60),
    ]
    assert [p.state for p in places] == ["admitted", "waiting", "waiting"]
    assert [p.estimate_seconds for p in places] == [0, 30, 60]
    assert places[0].admitted_until - places[0].admitted_from == dt.timedelta(seconds=300)


def test_a_booking_needs_a_current_admission_used_once(online, release, account):
    with clock.frozen_at(release.release_at + dt.timedelta(seconds=1)):
        with pytest.raises(services.AdmissionRequired) as exc:
            book(account, online, day=DAY, serial=1)
        assert exc.value.code == "release_admission_required"
        join(account, online, 0)
        with pytest.raises(services.TurnNotYet):  # still in the lottery
            book(account, online, day=DAY, applicant=person(dt.date(1980, 1, 1)))
    with clock.frozen_at(release.lottery_ends_at + dt.timedelta(seconds=5)):
        booking = book(account, online, day=DAY, applicant=person(dt.date(1980, 1, 1)))
        assert booking.status == BookingStatus.AWAITING_PAYMENT
        assert WaitingEntry.objects.get().used_at is not None
        with pytest.raises(services.AdmissionRequired):  # another person: not admitted
            book(account, online, day=DAY, applicant=person(dt.date(1981, 1, 1)))


def test_a_turn_passes(online, release, account):
    with clock.frozen_at(release.release_at):
        join(account, online, 0)
    with clock.frozen_at(release.lottery_ends_at + dt.timedelta(seconds=301)):
        with pytest.raises(services.TurnPassed):
            book(account, online, day=DAY, applicant=person(dt.date(1980, 1, 1)))


def test_after_the_release_period_booking_is_open_again(online, release, account):
    with clock.frozen_at(release.ends_at + dt.timedelta(seconds=1)):
        assert book(account, online, day=DAY).status == BookingStatus.AWAITING_PAYMENT


def test_a_channel_without_fair_release_books_as_before(online, account):
    moment = services.release_for  # no setting: nothing to wait for
    assert moment(online, DAY) is None
    assert book(account, online).status == BookingStatus.AWAITING_PAYMENT


def test_the_api_joins_and_shows_the_place(client, online, release, auth):
    body = {"office": "KRW", "channel": "online", "date": DAY.isoformat(), "nik": nik(3)}
    with clock.frozen_at(release.release_at):
        r = client.post("/api/v1/release/join", json.dumps(body), "application/json", **auth)
        assert r.status_code == 200, r.content
        assert r.json()["state"] == "lottery" and r.json()["position"] is None
    with clock.frozen_at(release.lottery_ends_at + dt.timedelta(seconds=1)):
        r = client.get(
            f"/api/v1/release/place?office=KRW&channel=online&date={DAY.isoformat()}", **auth
        )
        assert r.status_code == 200
        assert r.json()["position"] == 1 and r.json()["state"] == "admitted"
        r = client.post(
            "/api/v1/bookings",
            json.dumps(
                {
                    "office": "KRW",
                    "channel": "online",
                    "date": DAY.isoformat(),
                    "window": "09:00",
                    "application_type": "new",
                    "purpose": "tourism",
                    "passport_type": "ordinary",
                    "applicant": {
                        "nik": nik(4),
                        "name": "Budi",
                        "birth_date": "1980-01-05",
                        "sex": "M",
                        "phone": "081234567890",
                        "domicile_regency": "32.15",
                    },
                }
            ),
            "application/json",
            **auth,
        )
        assert r.status_code == 409 and r.json()["code"] == "release_admission_required"


def test_the_api_says_when_not_in_line(client, online, release, auth):
    with clock.frozen_at(release.release_at):
        r = client.get(
            f"/api/v1/release/place?office=KRW&channel=online&date={DAY.isoformat()}", **auth
        )
    assert r.status_code == 404 and r.json()["code"] == "release_not_in_line"


def test_the_waiting_room_page(client, online, release, account):
    from loket.accounts.services import save_applicant

    with transaction.atomic():
        save_applicant(
            account=account,
            nik=nik(0),
            name="Budi",
            birth_date=dt.date(1980, 1, 1),
            sex="M",
            phone="081234567890",
            domicile_regency="32.15",
            married=False,
            today=dt.date(2026, 12, 1),
        )
    client.force_login(account)
    url = f"/release/KRW/online/{DAY.isoformat()}/"
    with clock.frozen_at(release.release_at):
        r = client.get(url)
        assert r.status_code == 200
        assert b"<script>" not in r.content and b"style=" not in r.content
        applicant = account.applicants.get()
        r = client.post(url, {"applicant": applicant.pk})
        assert r.status_code == 302
        r = client.get(url)
        assert b"lottery" in r.content
    with clock.frozen_at(release.lottery_ends_at):
        r = client.get(url)
        assert b"It is your turn" in r.content
    client.cookies["django_language"] = "id"
    with clock.frozen_at(release.lottery_ends_at):
        r = client.get(url)
        assert b"Ruang tunggu" in r.content


def test_the_day_page_leads_to_the_waiting_room_while_the_release_runs(client, release, account):
    client.force_login(account)
    room = f"/release/KRW/online/{DAY.isoformat()}/".encode()
    with clock.frozen_at(release.release_at + dt.timedelta(minutes=1)):
        r = client.get(f"/book/KRW/online/{DAY.isoformat()}/")
        assert r.status_code == 200 and room in r.content
    with clock.frozen_at(release.ends_at + dt.timedelta(minutes=1)):
        r = client.get(f"/book/KRW/online/{DAY.isoformat()}/")
        assert r.status_code == 200 and room not in r.content


def test_rescheduling_into_a_released_day_needs_an_admission_too(online, fair, release, account):
    """A booking held elsewhere cannot jump the waiting room by moving into the release day."""
    from loket.booking.services import reschedule_booking

    fair.period_hours = 1  # the day before's room is over when its booking is made
    fair.save()

    earlier = DAY - dt.timedelta(days=1)
    with clock.frozen_at(release.release_at - dt.timedelta(hours=1)):
        booking = book(account, online, day=earlier)
    with clock.frozen_at(release.release_at + dt.timedelta(seconds=1)):
        with pytest.raises(services.AdmissionRequired):
            reschedule_booking(
                account=account, code=booking.code, day=DAY, window_start=dt.time(9, 0)
            )
    booking.refresh_from_db()
    assert booking.date == earlier and booking.reschedule_count == 0
