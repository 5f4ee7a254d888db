import datetime as dt

import pytest

from loket.outreach import errors, planning, selectors, service_days
from loket.outreach.models import TeamAssignment

FRIDAY = dt.date(2026, 12, 4)


def test_a_team_serving_a_service_day_cannot_be_planned_elsewhere_that_day(
    office, paten_rule, team, purwakarta
):
    """Planning a second place for a busy team is refused, naming where it already is."""
    service_days.generate_occurrences(rule=paten_rule, start=FRIDAY, end=FRIDAY)
    clash = service_days.create_service_day_rule(
        office=office,
        channel=purwakarta,
        name="Layanan Purwakarta",
        weekday=4,
        valid_from=FRIDAY,
        valid_until=None,
        location="MPP Purwakarta",
        quota=30,
        team=team,
    )
    with pytest.raises(errors.TeamBusy) as err:
        service_days.generate_occurrences(rule=clash, start=FRIDAY, end=FRIDAY)
    message = str(err.value)
    assert "Tim A" in message and "04-12-2026" in message and "PATEN" in message
    # nothing half-made: the refused run left no day and no team day behind
    assert not clash.occurrences.exists()
    assert TeamAssignment.objects.filter(team=team, date=FRIDAY).count() == 1


def test_another_team_may_serve_the_same_day(office, paten_rule, team_b, purwakarta):
    service_days.generate_occurrences(rule=paten_rule, start=FRIDAY, end=FRIDAY)
    other = service_days.create_service_day_rule(
        office=office,
        channel=purwakarta,
        name="Layanan Purwakarta",
        weekday=4,
        valid_from=FRIDAY,
        valid_until=None,
        location="MPP Purwakarta",
        quota=30,
        team=team_b,
    )
    assert len(service_days.generate_occurrences(rule=other, start=FRIDAY, end=FRIDAY)) == 1


def test_the_database_refuses_a_team_in_two_places(office, paten_rule, team):
    """The unique (team, date) index holds the rule even if the service is bypassed."""
    from django.db import IntegrityError, transaction

    occ = service_days.generate_occurrences(rule=paten_rule, start=FRIDAY, end=FRIDAY)[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        TeamAssignment.objects.create(
            team=team, date=FRIDAY, kind="service_day", occurrence=occ, label="twice"
        )


def test_team_calendar_shows_each_teams_days(office, paten_rule, team, team_b):
    service_days.generate_occurrences(
        rule=paten_rule, start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 14)
    )
    calendar = selectors.team_calendar(office=office, start=dt.date(2026, 12, 1), days=14)
    rows = dict(calendar.rows)
    busy = [d for d, a in zip(calendar.days, rows[team], strict=True) if a is not None]
    assert busy == [dt.date(2026, 12, 4), dt.date(2026, 12, 11)]
    assert all(a is None for a in rows[team_b])


def test_team_needs_a_name_and_officers(office):
    from loket.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        planning.create_team(office=office, name=" ", size=3)
    with pytest.raises(InvalidInput):
        planning.create_team(office=office, name="Tim C", size=0)


def test_the_calendar_takes_two_queries(
    office, paten_rule, team, team_b, django_assert_num_queries
):
    service_days.generate_occurrences(
        rule=paten_rule, start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 28)
    )
    with django_assert_num_queries(2):
        calendar = selectors.team_calendar(office=office, start=dt.date(2026, 12, 1), days=28)
        labels = [a.label for _t, days in calendar.rows for a in days if a]
    assert len(labels) == 3 and labels[0].startswith("PATEN")
