"""The office day's services the office-node tests drive (the desk and a counter)."""

from loket.queue.check_in import check_in_booking
from loket.queue.counter_actions import call_next_ticket, complete_ticket, start_service
from loket.queue.walk_ins import issue_walk_in_ticket

__all__ = [
    "call_next_ticket",
    "check_in_booking",
    "complete_ticket",
    "issue_walk_in_ticket",
    "start_service",
]
