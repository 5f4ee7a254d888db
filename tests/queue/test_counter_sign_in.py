"""One officer per counter: sign in, only the signed-in officer operates it, a supervisor may
take over (audited), logging out frees it; the database holds one open sign-in per counter."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from loket.core import clock
from loket.core.models import AuditEvent
from loket.queue import counter_sign_in, walk_ins
from loket.queue.models import Counter, CounterSignIn, StaffRole, Ticket, TicketStatus
from tests.conftest import make_nik
from tests.queue.conftest import make_staff


def action(client, number, name):
    return client.post(reverse("queue:counter_action", args=["KRW", number, name]))


def sign_in(client, number, **data):
    return client.post(reverse("queue:counter_sign_in", args=["KRW", number]), data)


@pytest.fixture
def waiting(queue_office, desk, now):
    return walk_ins.issue_walk_in_ticket(
        office=queue_office,
        lane_kind="priority",
        name="Pak Tua",
        nik=make_nik(dt.date(1950, 1, 1)),
        officer=desk,
    )


@pytest.fixture
def second_officer(queue_office):
    return make_staff(queue_office, "loket2@contoh.id", StaffRole.COUNTER)


def test_an_officer_not_signed_in_cannot_operate_the_counter(client, officer, waiting):
    """Before: any counter officer could call at any counter. Now: sign in first."""
    client.force_login(officer)
    action(client, 1, "call")
    assert Ticket.objects.get().status == TicketStatus.WAITING
    page = client.get(reverse("queue:counter", args=["KRW", 1])).content.decode()
    assert "Sign in to this counter" in page
    assert sign_in(client, 1).status_code == 302
    action(client, 1, "call")
    assert Ticket.objects.get().status == TicketStatus.CALLED


def test_only_the_signed_in_officer_operates_it(client, officer, second_officer, waiting):
    client.force_login(officer)
    sign_in(client, 1)
    client.force_login(second_officer)
    refused = sign_in(client, 1)
    assert refused.status_code == 302
    assert CounterSignIn.objects.get(ended_at__isnull=True).officer == officer
    action(client, 1, "call")
    assert Ticket.objects.get().status == TicketStatus.WAITING
    page = client.get(reverse("queue:counter", args=["KRW", 1])).content.decode()
    assert "loket@contoh.id is signed in to this counter" in page
    assert "Take over this counter" not in page


def test_a_supervisor_takes_over_and_the_audit_names_who_held_it(
    client, officer, supervisor, waiting
):
    client.force_login(officer)
    sign_in(client, 1)
    client.force_login(supervisor)
    page = client.get(reverse("queue:counter", args=["KRW", 1])).content.decode()
    assert "Take over this counter" in page
    sign_in(client, 1, take_over="1")
    held = CounterSignIn.objects.get(ended_at__isnull=True)
    assert held.officer == supervisor
    event = AuditEvent.objects.get(action="counter.taken_over")
    assert event.before == {"officer": officer.email}
    assert event.actor == supervisor
    assert CounterSignIn.objects.get(officer=officer).end_reason == "taken_over"


def test_a_counter_officer_cannot_take_over(client, officer, second_officer):
    counter = Counter.objects.get(number=1)
    counter_sign_in.sign_in(counter=counter, officer=officer)
    with pytest.raises(counter_sign_in.TakeOverNotAllowed):
        counter_sign_in.sign_in(counter=counter, officer=second_officer, take_over=True)


def test_signing_in_elsewhere_moves_the_officer(officer):
    one, two = Counter.objects.get(number=1), Counter.objects.get(number=2)
    counter_sign_in.sign_in(counter=one, officer=officer)
    counter_sign_in.sign_in(counter=two, officer=officer)
    assert CounterSignIn.objects.get(ended_at__isnull=True).counter == two


def test_logging_out_frees_the_counter(client, officer, second_officer, now):
    client.force_login(officer)
    sign_in(client, 1)
    client.post(reverse("queue:logout"))
    assert not CounterSignIn.objects.filter(ended_at__isnull=True).exists()
    client.force_login(second_officer)
    sign_in(client, 1)
    assert CounterSignIn.objects.get(ended_at__isnull=True).officer == second_officer


def test_an_idle_time_out_frees_the_counter(client, officer, now, settings):
    client.post("/office/login/", {"username": officer.email, "password": "rahasia-staf-123"})
    sign_in(client, 1)
    with clock.frozen_at(now + dt.timedelta(minutes=settings.LOKET_STAFF_IDLE_MINUTES + 1)):
        client.get(reverse("queue:counter", args=["KRW", 1]))
    assert not CounterSignIn.objects.filter(ended_at__isnull=True).exists()


def test_the_database_holds_one_officer_per_counter(officer, second_officer, now):
    counter = Counter.objects.get(number=1)
    now = clock.now()
    CounterSignIn.objects.create(
        counter=counter, officer=officer, started_at=now, last_active_at=now
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        CounterSignIn.objects.create(
            counter=counter, officer=second_officer, started_at=now, last_active_at=now
        )


def test_a_sign_in_left_idle_on_an_abandoned_pc_frees_the_counter(
    officer, second_officer, now, settings
):
    """The officer walked away without logging out: after the idle minutes without acting at
    the counter, another officer may sign in (audited); before that, not."""
    counter = Counter.objects.get(number=1)
    counter_sign_in.sign_in(counter=counter, officer=officer)
    idle = dt.timedelta(minutes=settings.LOKET_STAFF_IDLE_MINUTES)
    with clock.frozen_at(now + dt.timedelta(minutes=20)):
        counter_sign_in.require_signed_in(counter=counter, officer=officer)  # acted: kept alive
    with clock.frozen_at(now + dt.timedelta(minutes=20) + idle - dt.timedelta(minutes=1)):
        with pytest.raises(counter_sign_in.CounterTaken):
            counter_sign_in.sign_in(counter=counter, officer=second_officer)
    with clock.frozen_at(now + dt.timedelta(minutes=21) + idle):
        counter_sign_in.sign_in(counter=counter, officer=second_officer)
    assert CounterSignIn.objects.get(ended_at__isnull=True).officer == second_officer
    assert AuditEvent.objects.filter(action="counter.sign_in_lapsed").exists()
