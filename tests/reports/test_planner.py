import io
import math
import random

import pytest
from django.core.management import call_command

from loket.reports import planner
from loket.reports.queueing import erlang_c, mmc_mean_wait, mmc_wait_quantile


def single_stage(lam_per_hour: float, mu_per_hour: float, c: int, hours: float):
    return planner.Scenario(
        arrivals=(planner.ArrivalWindow(0, hours * 60, lam_per_hour * hours),),
        stages=(planner.Stage("s", planner.ServiceTime(60 / mu_per_hour), c),),
    )


def test_erlang_c_known_values():
    """Erlang C: one counter waits with probability rho; two counters at a = 1 wait 1 in 3."""
    assert erlang_c(1, 0.8) == pytest.approx(0.8)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang_c(3, 3.5) == 1.0  # overloaded: everyone waits
    assert mmc_mean_wait(4, 5, 1) == pytest.approx(0.8 / (5 - 4))
    assert math.isinf(mmc_mean_wait(10, 5, 2))
    assert mmc_wait_quantile(1, 5, 3, 0.9) == 0.0


@pytest.mark.parametrize(
    "lam, mu, c, hours",
    [(10, 6, 2, 2000), (20, 6, 4, 1000), (4, 5, 1, 3000), (30, 4, 9, 600)],
)
def test_steady_state_matches_erlang_c(lam, mu, c, hours):
    """A long simulated run of one stage (M/M/c) has the mean wait and the share of people
    who wait that the Erlang C formula gives, within 10% and 3 points."""
    run = planner.simulate_day(single_stage(lam, mu, c, hours), seed=11, sample_every=60)
    warm_up = 50 * 60
    waits = [w for queued, w in run.waits[0] if queued > warm_up]
    assert len(waits) > 10_000
    simulated = sum(waits) / len(waits)
    exact = mmc_mean_wait(lam, mu, c) * 60
    assert simulated == pytest.approx(exact, rel=0.10)
    share_waiting = sum(1 for w in waits if w > 1e-9) / len(waits)
    assert share_waiting == pytest.approx(erlang_c(c, lam / mu), abs=0.03)


def demo_scenario(photo: str = "2", per_hour: float = 24) -> planner.Scenario:
    stages = [
        planner.Stage("berkas", planner.ServiceTime(3, "lognormal", 0.5), 2),
        planner.Stage(
            "foto", planner.ServiceTime(5, "lognormal", 0.4), *planner.parse_counters(photo)
        ),
        planner.Stage("wawancara", planner.ServiceTime(5, "lognormal", 0.5), 3),
    ]
    return planner.build_scenario(
        stages=stages,
        booked_per_hour={h: per_hour for h in range(8, 15)},
        walk_ins={8: 5, 9: 5, 10: 5, 11: 5},
        no_show_rate=0.08,
    )


def test_a_third_photo_counter_in_the_afternoon_cuts_only_the_afternoon_waits():
    """On the same simulated people, a third photo counter from 12:00 leaves the early morning
    exactly as it was and shortens the afternoon's p90 wait at the photo stage (people who
    queue late in the morning are partly served by it already)."""
    two = planner.simulate(demo_scenario("2"), days=10, seed=3)
    three = planner.simulate(demo_scenario("2; 12-15:3"), days=10, seed=3)
    before = {h.hour: h for h in two.stage("foto").hours}
    after = {h.hour: h for h in three.stage("foto").hours}
    for hour in (8, 9, 10):
        assert after[hour].wait_p90 == before[hour].wait_p90
        assert after[hour].counters == 2
    assert after[11].wait_p90 <= before[11].wait_p90
    for hour in (13, 14):
        assert after[hour].counters == 3
        assert after[hour].wait_p90 < before[hour].wait_p90 / 2
    assert three.day_end_p50 <= two.day_end_p50


def test_a_stage_closed_for_an_hour_starts_nobody_then():
    """With 0 counters from 10:00 to 10:59, no service starts in that hour."""
    scenario = planner.build_scenario(
        stages=[planner.Stage("s", planner.ServiceTime(4), 2, {10: 0})],
        walk_ins={h: 20 for h in range(8, 13)},
    )
    result = planner.simulate(scenario, days=5, seed=1)
    hours = {h.hour: h for h in result.stage("s").hours}
    assert hours[10].served == 0
    assert hours[11].served > 0
    assert hours[10].queue_max > 5


def test_nobody_arriving_gives_an_empty_day():
    scenario = planner.build_scenario(stages=[planner.Stage("s", planner.ServiceTime(4), 1)])
    result = planner.simulate(scenario, days=2)
    assert result.people_per_day == 0
    assert result.day_end_p50 is None


def test_recommendation_meets_the_target_and_is_monotone():
    """The recommender's counters keep every stage under the target; a looser target never
    needs more counters, and more people never need fewer."""
    strict = planner.recommend_counters(demo_scenario(), target_p90=5, days=8)
    loose = planner.recommend_counters(demo_scenario(), target_p90=20, days=8)
    busier = planner.recommend_counters(demo_scenario(per_hour=40), target_p90=5, days=8)
    assert strict.met and loose.met and busier.met
    for stage in strict.result.stages:
        assert stage.worst_hour_p90 <= 5
    for name in strict.counters:
        assert loose.counters[name] <= strict.counters[name] <= busier.counters[name]
    assert sum(busier.counters.values()) > sum(strict.counters.values())
    # One counter fewer anywhere breaks the strict target (it is the fewest).
    for name, n in strict.counters.items():
        if n > 1:
            fewer = demo_scenario().with_counters({**strict.counters, name: n - 1})
            result = planner.simulate(fewer, days=8, seed=1)
            assert any(s.worst_hour_p90 > 5 for s in result.stages)


def test_fit_service_times_recognises_lognormal_and_exponential():
    rng = random.Random(5)
    lognormal = planner.ServiceTime(6, "lognormal", 0.4)
    draw = lognormal.sampler(rng)
    fitted = planner.fit_service_times([draw() for _ in range(5000)])
    assert fitted.distribution == "lognormal"
    assert fitted.mean == pytest.approx(6, rel=0.05)
    assert fitted.cv == pytest.approx(0.4, rel=0.1)
    fitted = planner.fit_service_times([rng.expovariate(1 / 4) for _ in range(5000)])
    assert fitted.distribution == "exponential"
    assert fitted.mean == pytest.approx(4, rel=0.05)
    with pytest.raises(ValueError):
        planner.fit_service_times([3.0])


def test_counters_and_arrivals_are_read_from_plain_text():
    assert planner.parse_counters("2; 12-15:3") == (2, {12: 3, 13: 3, 14: 3, 15: 3})
    assert planner.parse_counters(" 4 ") == (4, {})
    assert planner.parse_per_hour("8:5; 9-10:2.5") == {8: 5.0, 9: 2.5, 10: 2.5}
    for bad in ("", "x", "2; 25:3", "2; 13"):
        with pytest.raises(ValueError):
            planner.parse_counters(bad)
    with pytest.raises(ValueError):
        planner.Stage("s", planner.ServiceTime(3), 0)


def test_plan_capacity_command_prints_waits_and_a_recommendation():
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "plan_capacity",
        "--stage", "Foto", "--mean", "5", "--counters", "2; 12-15:3",
        "--booked", "8-14:24", "--days", "3", "--recommend", "--target", "10",
        stdout=out, stderr=err,
    )  # fmt: skip
    text = out.getvalue()
    assert "Foto: wait p50" in text
    assert "13:00        3" in text
    assert "Recommended counters for p90 wait <= 10 min" in text
    assert "day" in err.getvalue()  # the progress bar
