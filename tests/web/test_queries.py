import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from loket.accounts.services import save_applicant
from tests.conftest import make_nik
from tests.web.conftest import book, pay


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_calendar_reads_a_month_in_a_fixed_number_of_queries(web):
    """A month's calendar costs the same whatever the month holds (no query per day)."""
    url = reverse("web:calendar", args=["KRW", "online"])
    december = queries(web, url)
    assert december == queries(web, url + "?month=2027-01")
    assert december <= 12


@pytest.mark.django_db
def test_my_bookings_does_not_grow_with_bookings(web, account, online, now):
    """No query per booking on the list (status, cancel and reschedule rules included)."""
    people = []
    with transaction.atomic():
        for serial in range(1, 4):
            people.append(
                save_applicant(
                    account=account,
                    nik=make_nik(dt.date(1990, 1, serial), serial=serial),
                    name=f"Orang {serial}",
                    birth_date=dt.date(1990, 1, serial),
                    sex="M",
                    phone="081200000000",
                    domicile_regency="3215",
                    today=now.date(),
                )
            )
    pay(book(account, online, people[0]))
    one = queries(web, reverse("web:my_bookings"))
    book(account, online, people[1])
    pay(book(account, online, people[2], window=dt.time(10, 0)))
    assert queries(web, reverse("web:my_bookings")) == one
