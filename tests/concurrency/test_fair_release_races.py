"""The fair-release waiting room under parallel requests: one place per account, one usable
place per NIK, and admissions used once, whatever the interleaving."""

import datetime as dt

import pytest

from loket.core import clock
from loket.release import services
from loket.release.models import FairRelease, WaitingEntry
from tests.concurrency.conftest import make_accounts, outcomes, run_in_threads
from tests.conftest import make_nik

pytestmark = pytest.mark.django_db(transaction=True)

DAY = dt.date(2027, 1, 12)
NIK = make_nik(dt.date(1980, 1, 1))


@pytest.fixture
def release(online):
    FairRelease.objects.create(channel=online, lottery_seconds=600, admit_per_minute=60)
    return services.release_for(online, DAY)


def test_parallel_joins_of_one_account_give_one_place(online, release):
    (account,) = make_accounts(1)

    def join():
        with clock.frozen_at(release.release_at):
            return services.join(account=account, channel=online, day=DAY, nik=NIK).entry.pk

    results = run_in_threads([join] * 8)
    assert len(set(results)) == 1, results
    assert WaitingEntry.objects.count() == 1


def test_parallel_joins_for_one_nik_from_many_accounts_give_one_usable_place(online, release):
    """Every account is answered with a place (none is told the NIK is taken); exactly one
    of them can book."""
    accounts = make_accounts(8)

    def join(account):
        with clock.frozen_at(release.release_at):
            return services.join(account=account, channel=online, day=DAY, nik=NIK).entry.pk

    results = run_in_threads([lambda a=a: join(a) for a in accounts])
    assert all(isinstance(r, int) for r in results), outcomes(results)
    assert WaitingEntry.objects.count() == 8
    assert WaitingEntry.objects.filter(nik_held_elsewhere=False).count() == 1
