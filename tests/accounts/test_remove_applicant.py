"""Removing a person from the account's family list."""

import json

import pytest

from loket.accounts import services
from loket.accounts.models import Applicant
from loket.booking.services import cancel_booking
from loket.core.models import AuditEvent
from loket.offices.models import CapacityOverride
from loket.waitlist.services import leave_waitlist
from tests.helpers import book, pay
from tests.waitlist.conftest import EIGHT, THURSDAY, add_person, join, new_account


def test_a_person_without_bookings_is_removed_and_frees_a_place(now, account):
    """The person disappears, the removal is audited, and a sixth person can be added."""
    people = [add_person(account, serial) for serial in range(1, 6)]
    services.remove_applicant(account=account, applicant_id=people[2].pk)
    assert not Applicant.objects.filter(pk=people[2].pk).exists()
    assert AuditEvent.objects.filter(action="applicant.removed").count() == 1
    assert add_person(account, 6).position == 3


def test_another_account_s_person_is_not_found(now, account):
    person = add_person(new_account(1), 1)
    with pytest.raises(services.ApplicantNotFound):
        services.remove_applicant(account=account, applicant_id=person.pk)
    assert Applicant.objects.filter(pk=person.pk).exists()


def test_a_person_with_an_active_booking_stays(now, online, account):
    """An active booking must be cancelled first; afterwards the record keeps the person."""
    booking = book(account, online)
    with pytest.raises(services.ApplicantInUse):
        services.remove_applicant(account=account, applicant_id=booking.applicant_id)
    cancel_booking(account=account, code=booking.code)
    with pytest.raises(services.ApplicantHasHistory):
        services.remove_applicant(account=account, applicant_id=booking.applicant_id)


def test_a_person_on_a_waiting_list_stays_until_they_leave(now, online, account):
    """An open waiting-list entry blocks removal; after leaving, the person can go."""
    CapacityOverride.objects.create(channel=online, date=THURSDAY, capacity=1)
    other = new_account(2)
    pay(book(other, online, day=THURSDAY, window=EIGHT, serial=9))
    person = add_person(account, 3)
    entry = join(account, online, person)
    with pytest.raises(services.ApplicantInUse):
        services.remove_applicant(account=account, applicant_id=person.pk)
    leave_waitlist(account=account, entry_id=entry.pk)
    services.remove_applicant(account=account, applicant_id=person.pk)
    entry.refresh_from_db()
    assert entry.applicant is None and entry.nik == person.nik


def test_a_removed_person_s_old_entries_still_list(client, now, online, account, auth):
    """The waiting-list history survives the removal of the person it was for."""
    CapacityOverride.objects.create(channel=online, date=THURSDAY, capacity=1)
    other = new_account(2)
    pay(book(other, online, day=THURSDAY, window=EIGHT, serial=9))
    person = add_person(account, 3)
    entry = join(account, online, person)
    leave_waitlist(account=account, entry_id=entry.pk)
    services.remove_applicant(account=account, applicant_id=person.pk)
    listed = client.get("/api/v1/waitlist?include_closed=true", **auth).json()
    assert [(e["id"], e["status"], e["applicant_id"]) for e in listed] == [(entry.pk, "left", None)]


def test_removal_over_the_api(client, now, account, auth):
    person = add_person(account, 1)
    r = client.delete(f"/api/v1/applicants/{person.pk}", **auth)
    assert r.status_code == 204
    r = client.delete(f"/api/v1/applicants/{person.pk}", **auth)
    assert (r.status_code, json.loads(r.content)["code"]) == (404, "applicant_not_found")
