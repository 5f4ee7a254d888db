"""The planner starts from the office: its stages and counters, service times fitted to its
recorded events, its recorded arrivals; calibrated against a recorded day."""

import datetime as dt
import io
import math
import re
import zoneinfo
from collections import defaultdict

import pytest
from django.core.management import call_command
from django.db import connection

from loket.queue import office_setup
from loket.reports import generator, office_model, planner
from loket.reports.selectors import Period

NOVEMBER = Period("custom", dt.date(2026, 11, 1), dt.date(2026, 11, 30))
WIB = zoneinfo.ZoneInfo("Asia/Jakarta")


@pytest.fixture
def recorded(office):
    """Karawang's counters (two for the document check, one for photo and interview, one
    for payment) and a generated November of office days."""
    office_setup.ensure_office_queue(office=office)
    for number, codes in ((1, ["document_check"]), (2, ["document_check"]),
                          (3, ["photo_interview"]), (4, ["payment"])):  # fmt: skip
        office_setup.save_counter(office=office, number=number, stage_codes=codes)
    generator.generate_year(office=office, year=2026, month=11, bookings=1500)
    return office


def raw_services_and_arrivals(office):
    """Service minutes per stage id and tickets per local hour, from the raw rows."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ticket_id, kind, at, stage_id FROM queue_ticketevent WHERE office_id = %s "
            "ORDER BY ticket_id, at, id",
            [office.pk],
        )
        events = cursor.fetchall()
        cursor.execute("SELECT date, issued_at FROM queue_ticket WHERE office_id = %s", [office.pk])
        tickets = cursor.fetchall()
    services: dict[int, list[float]] = defaultdict(list)
    previous: dict[int, tuple] = {}
    for ticket_id, kind, at, stage_id in events:
        at = at if isinstance(at, dt.datetime) else dt.datetime.fromisoformat(str(at))
        before = previous.get(ticket_id)
        previous[ticket_id] = (kind, at)
        if kind == "finished" and before and before[0] in ("called", "recalled", "started"):
            seconds = math.floor(at.timestamp()) - math.floor(before[1].timestamp())
            if seconds > 0:
                services[stage_id].append(seconds / 60)
    per_hour: dict[int, int] = defaultdict(int)
    days = set()
    for day, issued in tickets:
        issued = (
            issued if isinstance(issued, dt.datetime) else dt.datetime.fromisoformat(str(issued))
        )
        if issued.tzinfo is None:  # SQLite hands back UTC without a zone
            issued = issued.replace(tzinfo=dt.UTC)
        days.add(day)
        per_hour[issued.astimezone(WIB).hour] += 1
    return services, {h: n / len(days) for h, n in per_hour.items()}


def raw_pauses(office) -> dict[int, list[float]]:
    """Per stage: minutes from a counter's finish to its next call of someone who was
    already waiting then, walking the raw events in time order."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ticket_id, kind, at, stage_id, counter_id FROM queue_ticketevent "
            "WHERE office_id = %s ORDER BY at, id",
            [office.pk],
        )
        events = cursor.fetchall()
    last_of_ticket: dict[int, tuple] = {}
    last_of_counter: dict[int, tuple] = {}
    pauses: dict[int, list[float]] = defaultdict(list)
    for ticket_id, kind, at, stage_id, counter_id in events:
        at = at if isinstance(at, dt.datetime) else dt.datetime.fromisoformat(str(at))
        ticket_before = last_of_ticket.get(ticket_id)
        last_of_ticket[ticket_id] = (kind, at)
        counter_before = last_of_counter.get(counter_id) if counter_id else None
        if counter_id:
            last_of_counter[counter_id] = (kind, at)
        if (
            kind == "called"
            and counter_before
            and counter_before[0] == "finished"
            and ticket_before
            and ticket_before[0] in ("issued", "finished", "transferred", "returned")
            and ticket_before[1] <= counter_before[1]
        ):
            seconds = math.floor(at.timestamp()) - math.floor(counter_before[1].timestamp())
            pauses[stage_id].append(seconds / 60)
    return pauses


def test_the_model_starts_from_the_office_and_its_recorded_days(recorded):
    model = office_model.fit_office(recorded, NOVEMBER)
    pauses = raw_pauses(recorded)
    for stage in model.stages:
        recorded_pauses = pauses[stage.stage_id]
        assert stage.pauses == len(recorded_pauses) > 0
        assert stage.pause == pytest.approx(sum(recorded_pauses) / len(recorded_pauses))
        # The generator pauses 0.05 to 0.5 minutes before each call.
        assert 0.0 < stage.pause < 0.6
        assert stage.service.mean == pytest.approx(stage.fit.service.mean + stage.pause)
    assert [s.name for s in model.stages] == [
        "Pemeriksaan berkas",
        "Foto dan wawancara",
        "Pembayaran",
    ]
    assert [s.counters for s in model.stages] == [2, 1, 1]
    services, per_hour = raw_services_and_arrivals(recorded)
    for stage, generated_mean in zip(model.stages, (3.0, 5.0, 2.0), strict=True):
        durations = services[stage.stage_id]
        assert stage.fit.n == len(durations)
        assert stage.fit.observed_mean == pytest.approx(sum(durations) / len(durations))
        # The generator draws lognormal services (cv 0.5): the fit finds them.
        assert stage.fit.service.distribution == "lognormal"
        assert stage.fit.service.mean == pytest.approx(generated_mean, rel=0.08)
        assert stage.fit.service.cv == pytest.approx(0.5, abs=0.1)
        assert stage.fit.aic_lognormal < stage.fit.aic_exponential
        plain = planner.fit_service_times(durations)  # the same fit from the raw list
        assert stage.fit.service.distribution == plain.distribution
        assert stage.fit.service.mean == pytest.approx(plain.mean)
        assert stage.fit.service.cv == pytest.approx(plain.cv)
    arrivals = model.arrivals()
    assert arrivals.keys() == per_hour.keys()
    for hour, n in per_hour.items():
        assert arrivals[hour] == pytest.approx(n, abs=0.02)
    # Halving the online places halves the online arrivals only.
    online = next(c for c in model.channels if c.code == "online")
    halved = model.arrivals({"online": online.places_per_day / 2})
    for hour in arrivals:
        assert halved[hour] == pytest.approx(arrivals[hour] - online.per_hour.get(hour, 0) / 2)
    assert office_model.plan_b_counters(model)["Foto dan wawancara"] == "1; 12-15:2"


def test_calibration_sets_predicted_waits_beside_the_recorded_ones(recorded):
    model = office_model.fit_office(recorded, NOVEMBER)
    day = office_model.last_recorded_day(recorded, NOVEMBER)
    assert day == dt.date(2026, 11, 30)
    rows = office_model.calibrate(model, office_model.recorded_day(recorded, day), days=5)
    assert [r.stage for r in rows] == [s.name for s in model.stages]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM queue_ticketevent WHERE office_id = %s AND kind = 'called' "
            "AND at >= %s AND at < %s",
            [
                recorded.pk,
                dt.datetime(2026, 11, 30, tzinfo=WIB),
                dt.datetime(2026, 12, 1, tzinfo=WIB),
            ],
        )
        [(calls,)] = cursor.fetchall()
    assert sum(r.observed_n for r in rows) <= calls
    for r in rows:
        assert r.observed_n > 0 and r.observed_p50 <= r.observed_p90
        assert 0 <= r.predicted_p50 <= r.predicted_p90


def test_the_planner_page_opens_on_the_office_and_answers_the_afternoon_question(
    client, staff, recorded
):
    """The page opens on Karawang's stages, counters and fitted times with the calibration;
    one more photo counter from 12:00 cuts the afternoon photo waits and leaves the morning
    as it was (the same simulated people)."""
    client.force_login(staff)
    html = client.get(
        "/reports/planner/", {"office": "KRW", "fit_start": "2026-11-01", "fit_end": "2026-11-30"}
    ).content.decode()
    assert 'value="Foto dan wawancara"' in html
    assert 'value="1; 12-15:2"' in html and 'id="calibration"' in html and 'id="fit"' in html
    mean = re.search(r'name="stage1_mean" value="([\d.]+)"', html).group(1)
    assert float(mean) == pytest.approx(5.0, rel=0.08)
    form = {
        "office": "KRW",
        "fit_start": "2026-11-01",
        "fit_end": "2026-11-30",
        "arrivals": "fitted",
        "no_show": "0",
        "target": "15",
        "days": "5",
        "seed": "1",
    }
    model = office_model.fit_office(recorded, NOVEMBER)
    for i, (name, mean, dist, cv, a, _b) in enumerate(
        [
            (s.name, s.service.mean, s.service.distribution, s.service.cv, str(s.counters), None)
            for s in model.stages
        ]  # fmt: skip
    ):
        form.update(
            {
                f"stage{i}_name": name,
                f"stage{i}_mean": f"{mean:.2f}",
                f"stage{i}_distribution": dist,
                f"stage{i}_cv": f"{cv:.2f}",
                f"stage{i}_a": a,
                f"stage{i}_b": "1; 12-15:2" if name == "Foto dan wawancara" else a,
            }
        )
    for c in model.channels:
        form[f"quota_{c.code}"] = str(c.places_per_day)
    response = client.post("/reports/planner/", form)
    assert response.status_code == 200
    stages = response.context["stages"]
    photo = next(s for s in stages if s["name"] == "Foto dan wawancara")
    rows = {r["hour"]: r for r in photo["rows"]}
    morning = [h for h in rows if h < "11:00" and rows[h]["a"] and rows[h]["b"]]
    afternoon = [h for h in ("12:00", "13:00", "14:00") if rows.get(h) and rows[h]["a"]]
    assert morning and afternoon
    for h in morning:  # a morning queue can only shorten once the counter opens at 12:00
        assert rows[h]["b"].wait_p90 <= rows[h]["a"].wait_p90 + 1e-9
    assert rows[morning[0]]["a"].wait_p90 == rows[morning[0]]["b"].wait_p90
    assert sum(rows[h]["b"].wait_p90 for h in afternoon) < sum(
        rows[h]["a"].wait_p90 for h in afternoon
    )


def test_plan_capacity_starts_from_the_office(recorded):
    out = io.StringIO()
    call_command(
        "plan_capacity",
        "--office",
        "KRW",
        "--fit-from",
        "2026-11-01",
        "--fit-until",
        "2026-11-30",
        "--calibrate",
        "2026-11-30",
        "--counters-of",
        "Foto dan wawancara=1; 12-15:2",
        "--days",
        "3",
        stdout=out,
        stderr=io.StringIO(),
    )
    text = out.getvalue()
    assert "Foto dan wawancara: 1 counter(s) configured" in text
    assert "lognormal mean" in text and "Calibration on 30-11-2026" in text
    assert "Simulating 3 days" in text


def test_the_api_gives_the_office_model_and_plans_on_recorded_arrivals(client, staff, recorded):
    from loket.accounts.services import issue_token

    staff.email_verified_at = staff.date_joined
    staff.save()
    token = issue_token(email="kepala@contoh.id", password="rahasia-kepala-1")
    headers = {"Authorization": f"Bearer {token}"}
    response = client.get(
        "/api/v1/reports/planner/office",
        {"office": "KRW", "fit_start": "2026-11-01", "fit_end": "2026-11-30"},
        headers=headers,
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    model = office_model.fit_office(recorded, NOVEMBER)
    assert [(s["name"], s["counters"], s["services"]) for s in body["stages"]] == [
        (s.name, s.counters, s.fit.n) for s in model.stages
    ]
    assert body["plan_b"]["Foto dan wawancara"] == "1; 12-15:2"
    assert body["calibration_day"] == "2026-11-30" and len(body["calibration"]) == 3
    stages = [
        {
            "name": s["name"],
            "service": {"mean": s["mean"], "distribution": s["distribution"], "cv": s["cv"]},
            "counters": s["counters"],
        }
        for s in body["stages"]
    ]
    plan = client.post(
        "/api/v1/reports/planner",
        {
            "office": "KRW",
            "recorded_arrivals": True,
            "fit_start": "2026-11-01",
            "fit_end": "2026-11-30",
            "stages": stages,
            "days": 3,
        },
        content_type="application/json",
        headers=headers,
    )
    assert plan.status_code == 200, plan.json()
    expected = sum(model.arrivals().values())
    assert plan.json()["result"]["people_per_day"] == pytest.approx(expected, rel=0.15)


def test_an_office_without_recorded_days_still_plans(client, staff, office):
    """No tickets yet: the stages and counters are the office's, service times assumed, and
    the page and the command say so instead of failing."""
    office_setup.ensure_office_queue(office=office)
    office_setup.save_counter(office=office, number=3, stage_codes=["photo_interview"])
    out = io.StringIO()
    call_command("plan_capacity", "--office", "KRW", "--days", "2", stdout=out)
    assert "Foto dan wawancara: 1 counter(s), too few services: 5 min assumed" in out.getvalue()
    client.force_login(staff)
    html = client.get("/reports/planner/", {"office": "KRW"}).content.decode()
    assert "Too few recorded services" in html and 'value="Foto dan wawancara"' in html
    assert 'id="calibration"' not in html


@pytest.mark.parametrize(
    "query",
    [
        {"office": "KRW", "fit_start": "2026-13-45", "fit_end": "x"},
        {"office": "KRW", "fit_start": "2026-11-30", "fit_end": "2026-11-01"},
        {"office": "KRW", "fit_start": "2020-01-01", "fit_end": "2026-11-30"},
        {"office": "KRW", "calibration_day": "2031-01-01"},
        {"office": "krw", "calibration_day": "0001-01-01"},
    ],
)
def test_odd_planner_input_is_answered_not_failed(client, staff, office, query):
    office_setup.ensure_office_queue(office=office)
    client.force_login(staff)
    assert client.get("/reports/planner/", query).status_code == 200
    posted = client.post(
        "/reports/planner/", {**query, "arrivals": "fitted", "quota_online": "-3", "days": "1"}
    )
    assert posted.status_code == 200
