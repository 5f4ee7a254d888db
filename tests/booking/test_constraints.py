"""The database holds the booking invariants even when the services are bypassed."""

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from loket.booking.models import Booking
from loket.capacity.models import CapacitySlot
from tests.helpers import book


def refused(queryset, **update):
    with pytest.raises(IntegrityError), transaction.atomic():
        queryset.update(**update)


def test_the_ledger_never_holds_more_than_its_capacity(online, account):
    """A slot cannot count more places taken than it has, nor fewer than none."""
    slot = CapacitySlot.objects.filter(pk=book(account, online).slot_id)
    refused(slot, used=F("capacity") + 1)
    refused(slot, capacity=0)


def test_a_booking_is_rescheduled_at_most_once_in_the_database(online, account):
    """A second reschedule cannot be stored."""
    refused(Booking.objects.filter(pk=book(account, online).pk), reschedule_count=2)


def test_a_confirmed_booking_has_a_payment_and_an_application_number(online, account):
    """A booking cannot be confirmed without a payment time and an application number."""
    refused(Booking.objects.filter(pk=book(account, online).pk), status="confirmed")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "lost_in_mail"),
        ("application_type", "stolen"),
        ("purpose", "smuggling"),
        ("passport_type", "diplomatic"),
        ("validity_years", 7),
        ("billing_code", "12345"),
    ],
)
def test_choices_are_held_by_the_database(online, account, field, value):
    """Statuses, types, purposes, validity and billing-code shape are checked by the database."""
    refused(Booking.objects.filter(pk=book(account, online).pk), **{field: value})
