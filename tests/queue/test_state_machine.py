"""A state-machine test of the queue through its services: no ticket is lost, served twice, or
in two places, whatever the counters do in whatever order."""

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from loket.core.errors import DomainError
from loket.queue import counter_actions, walk_ins
from loket.queue.models import AT_COUNTER, Counter, Ticket, TicketEvent, TicketStatus
from tests.conftest import make_nik

COUNTERS = [1, 2, 3, 4]


@pytest.mark.django_db
def test_queue_state_machine(queue_office, officer, desk, supervisor, now):
    office = queue_office
    counters = {c.number: c for c in Counter.objects.filter(office=office)}

    class Queue(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            self.issued: set[int] = set()
            self.serial = 0
            self.finished: dict[tuple[int, int], int] = {}

        def teardown(self):
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

        @rule(kind=st.sampled_from(["priority", "lost_damaged", "emergency"]))
        def walk_in(self, kind):
            self.serial += 1
            try:
                ticket = walk_ins.issue_walk_in_ticket(
                    office=office,
                    lane_kind=kind,
                    name="Walk In",
                    nik=make_nik(dt.date(1950, 1, 1), serial=self.serial),
                    officer=supervisor,
                )
            except DomainError:
                return
            self.issued.add(ticket.pk)

        @rule(number=st.sampled_from(COUNTERS))
        def call_next(self, number):
            before = set(
                Ticket.objects.filter(status=TicketStatus.WAITING).values_list("pk", flat=True)
            )
            try:
                ticket = counter_actions.call_next_ticket(counter=counters[number], officer=officer)
            except DomainError:
                return
            assert ticket.pk in before  # only a waiting ticket can be called

        @rule(
            number=st.sampled_from(COUNTERS),
            action=st.sampled_from(
                [
                    counter_actions.recall_ticket,
                    counter_actions.start_service,
                    counter_actions.complete_ticket,
                    counter_actions.park_ticket,
                    counter_actions.mark_no_show,
                ]
            ),
        )
        def act(self, number, action):
            current = counter_actions.current_ticket(counters[number])
            try:
                ticket = action(counter=counters[number], officer=officer)
            except DomainError:
                return
            assert current is not None and ticket.pk == current.pk
            assert counter_actions.current_ticket(counters[number]) is None or action in (
                counter_actions.recall_ticket,
                counter_actions.start_service,
            )

        @rule(
            number=st.sampled_from(COUNTERS),
            stage=st.sampled_from(["document_check", "photo_interview", "payment"]),
        )
        def transfer(self, number, stage):
            try:
                counter_actions.transfer_ticket(
                    counter=counters[number], officer=officer, stage_code=stage
                )
            except DomainError:
                return

        @rule(data=st.data())
        def return_parked(self, data):
            parked = list(
                Ticket.objects.filter(status=TicketStatus.PARKED).values_list("pk", flat=True)
            )
            if parked:
                counter_actions.return_ticket(
                    office=office, ticket_id=data.draw(st.sampled_from(parked)), officer=desk
                )

        @invariant()
        def no_ticket_lost(self):
            assert set(Ticket.objects.values_list("pk", flat=True)) == self.issued

        @invariant()
        def one_place_each(self):
            rows = list(Ticket.objects.values_list("pk", "status", "counter_id"))
            at_counters = [c for _pk, s, c in rows if s in AT_COUNTER]
            assert all(c is not None for c in at_counters)
            assert len(at_counters) == len(set(at_counters))  # one ticket per counter
            assert all(c is None for _pk, s, c in rows if s not in AT_COUNTER)

        @invariant()
        def never_served_after_the_end(self):
            for pk, status in Ticket.objects.values_list("pk", "status"):
                kinds = list(
                    TicketEvent.objects.filter(ticket_id=pk)
                    .order_by("id")
                    .values_list("kind", flat=True)
                )
                assert kinds[0] == "issued" and kinds.count("issued") == 1
                if status == TicketStatus.DONE:
                    assert kinds[-1] == "finished"
                if status == TicketStatus.NO_SHOW:
                    assert kinds[-1] == "no_show"
                # each call is followed by exactly one way of leaving the counter, or none yet
                leaving = {"finished", "parked", "transferred", "no_show"}
                depth = 0
                for kind in kinds:
                    if kind == "called":
                        assert depth == 0  # never called while already at a counter
                        depth = 1
                    elif kind in leaving:
                        assert depth == 1
                        depth = 0

    run_state_machine_as_test(
        Queue,
        settings=settings(
            max_examples=15,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
