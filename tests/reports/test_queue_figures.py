"""Figures from the office day and outreach, on small days built through the queue and
outreach services with the clock moved by hand."""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from loket.accounts.models import User
from loket.accounts.services import issue_token
from loket.capacity import services as ledger
from loket.core import audit, clock
from loket.core.models import AuditEvent
from loket.offices.models import Channel
from loket.outreach import hotline, service_days
from loket.queue import counter_actions, office_setup, walk_ins
from loket.queue.models import LaneKind, Stage
from loket.reports import exports, queue_figures, selectors
from loket.reports.models import QueueMonthSummary, ReportSettings
from loket.reports.queue_figures import percentile_cont
from loket.reports.selectors import period_for
from loket.staff import services as staff_services
from loket.staff.models import StaffRole
from tests.reports.conftest import wib

DAY = dt.date(2026, 12, 2)  # a Wednesday
NEXT = dt.date(2026, 12, 3)


@pytest.fixture
def floor(office):
    """The demo office's stages and lanes, counters 1 (document check) and 2 (photo), and a
    supervisor who runs the floor."""
    office_setup.ensure_office_queue(office=office)
    c1 = office_setup.save_counter(office=office, number=1, stage_codes=["document_check"])
    c2 = office_setup.save_counter(office=office, number=2, stage_codes=["photo_interview"])
    boss = User.objects.create_user("spv@contoh.id", "rahasia-spv-2026", is_staff=True)
    boss.email_verified_at = boss.date_joined
    boss.save()
    for role in (StaffRole.SUPERVISOR, StaffRole.COUNTER, StaffRole.DESK):
        staff_services.grant_role(user=boss, office=office, role=role)
    return {"office": office, "c1": c1, "c2": c2, "officer": boss}


def _walk_in(floor, when: dt.datetime, n: int):
    with clock.frozen_at(when):
        return walk_ins.issue_walk_in_ticket(
            office=floor["office"],
            lane_kind=LaneKind.LOST_DAMAGED,
            name=f"Orang {n}",
            nik=f"32150112059000{n:02d}",
            officer=floor["officer"],
        )


def _at(when: dt.datetime, action, **kwargs):
    with clock.frozen_at(when):
        return action(**kwargs)


def _serve(floor, counter, called: dt.datetime, finished: dt.datetime):
    _at(called, counter_actions.call_next_ticket, counter=counter, officer=floor["officer"])
    _at(finished, counter_actions.complete_ticket, counter=counter, officer=floor["officer"])


@pytest.fixture
def day_served(floor):
    """Two tickets on DAY at 08:00 and 08:05: called at the document check at 08:10 and
    08:20 (waits 10 and 15 min), served 3 and 5 min; the first is called at the photo
    counter at 08:30 (waits 17 min) and served 5 min; the second is still waiting there."""
    _walk_in(floor, wib(DAY, 8, 0), 1)
    _walk_in(floor, wib(DAY, 8, 5), 2)
    _serve(floor, floor["c1"], wib(DAY, 8, 10), wib(DAY, 8, 13))
    _serve(floor, floor["c1"], wib(DAY, 8, 20), wib(DAY, 8, 25))
    _serve(floor, floor["c2"], wib(DAY, 8, 30), wib(DAY, 8, 35))
    return floor


def _rows(figure, stage_name):
    return {r[1]: r[2:] for r in figure.rows if r[0] == stage_name}


def test_percentile_cont_interpolates_like_postgresql():
    assert percentile_cont([], 0.5) is None
    assert percentile_cont([7], 0.9) == 7
    assert percentile_cont([10, 15], 0.5) == 12.5
    assert percentile_cont([10, 15], 0.9) == 14.5
    assert percentile_cont([1, 2, 3, 4], 0.5) == 2.5


def test_waits_per_stage_and_hour(day_served):
    """Waits run from issue (or the previous stage's finish) to the call, by the hour the
    wait began; p50/p90 are interpolated."""
    office = day_served["office"]
    figure = selectors.get_figure("stage_waits", office, period_for("day", DAY))
    check = Stage.objects.get(office=office, code="document_check").name
    photo = Stage.objects.get(office=office, code="photo_interview").name
    assert _rows(figure, check)["08:00"] == [2, 12.5, 14.5, 12.5]
    assert _rows(figure, photo)["08:00"] == [1, 17.0, 17.0, 17.0]
    assert figure.chart["labels"] == ["08:00"]
    summary = dict((str(k), v) for k, v in figure.summary)
    assert summary[f"{check}: p50 / p90 (min)"] == "12.5 / 14.5"


def test_service_times_per_stage(day_served):
    office = day_served["office"]
    figure = selectors.get_figure("stage_service_times", office, period_for("day", DAY))
    check = Stage.objects.get(office=office, code="document_check").name
    whole = _rows(figure, check)[str(selectors._("whole day"))]
    assert whole == [2, 4.0, 4.8, 4.0]  # 3 and 5 minutes


def test_share_served_within_the_target_wait_uses_the_report_setting(day_served):
    """On target: first call at most the target after issue (default 60 minutes)."""
    office = day_served["office"]
    period = period_for("day", DAY)
    figure = selectors.get_figure("served_within_target", office, period)
    assert [r[:5] for r in figure.rows] == [[DAY, 2, 2, 2, 100.0]]
    ReportSettings.objects.create(office=office, target_wait_minutes=12)
    figure = selectors.get_figure("served_within_target", office, period)
    assert [r[:5] for r in figure.rows] == [[DAY, 2, 2, 1, 50.0]]
    assert (str(figure.summary[0][0]), figure.summary[0][1]) == ("target wait (min)", 12)


def test_counters_throughput(day_served):
    office = day_served["office"]
    period = period_for("month", DAY)
    figure = selectors.get_figure("counter_throughput", office, period)
    assert figure.rows == [
        ["Loket 1", 1, 2, 2.0, 2.0, "08:00"],
        ["Loket 2", 1, 1, 1.0, 1.0, "08:00"],
    ]
    days = selectors.get_figure("counter_days", office, period)
    assert days.rows == [[DAY, "Loket 1", 2], [DAY, "Loket 2", 1]]
    assert sum(days.chart["datasets"][0]["data"]) == 3


def test_a_ticket_just_after_midnight_counts_on_its_local_day(floor):
    """00:30 WIB is 17:30 UTC the day before: it belongs to the local day, hour 00."""
    _walk_in(floor, wib(NEXT, 0, 30), 3)
    _serve(floor, floor["c1"], wib(NEXT, 0, 40), wib(NEXT, 0, 44))
    office = floor["office"]
    assert selectors.get_figure("served_within_target", office, period_for("day", DAY)).rows == []
    within = selectors.get_figure("served_within_target", office, period_for("day", NEXT))
    assert [r[:5] for r in within.rows] == [[NEXT, 1, 1, 1, 100.0]]
    waits = selectors.get_figure("stage_waits", office, period_for("day", NEXT))
    assert waits.rows[0][1:3] == ["00:00", 1]
    days = selectors.get_figure("counter_days", office, period_for("day", NEXT))
    assert days.rows == [[NEXT, "Loket 1", 1]]


@pytest.mark.parametrize("key", list(queue_figures.QUEUE_FIGURES))
def test_an_empty_period_gives_empty_figures(key, floor):
    figure = selectors.get_figure(key, floor["office"], period_for("month", dt.date(2026, 1, 5)))
    if key == "priority_quota":  # the places are there, unused
        assert figure.rows and all(r[2:6] == [0, 0, 0, 0] and r[6] == 0 for r in figure.rows)
    else:
        assert figure.rows == []
    assert figure.definition


@pytest.mark.postgres
def test_postgresql_and_python_give_the_same_waits(day_served):
    """The database's window functions and the Python path find the same intervals."""
    office = day_served["office"]
    in_db = queue_figures._parts_postgresql(office, DAY, NEXT, 720)
    in_python = queue_figures._parts_python(office, DAY, NEXT, 720)
    assert in_db.keys() == in_python.keys() == {dt.date(2026, 12, 1)}
    for month, part in in_python.items():
        assert {k: dict(v) for k, v in in_db[month].hist.items()} == {
            k: dict(v) for k, v in part.hist.items()
        }
        assert in_db[month].within == part.within
        assert in_db[month].visits == part.visits


def test_histogram_percentiles_equal_percentile_cont():
    values = [3, 3, 7, 10, 10, 10, 41]
    counts = {3: 2, 7: 1, 10: 3, 41: 1}
    stats = queue_figures._stats(counts)
    assert stats.count == 7
    assert stats.p50 == percentile_cont(values, 0.5) == 10
    assert stats.p90 == pytest.approx(percentile_cont(values, 0.9))
    assert stats.p90 == pytest.approx(10 + 31 * 0.4)


def test_a_closed_month_is_kept_and_reused(day_served):
    """Once December has ended its figures are kept; later reads give the same numbers."""
    office = day_served["office"]
    december = period_for("month", DAY)
    live = selectors.get_figure("stage_waits", office, december).rows
    assert not QueueMonthSummary.objects.exists()  # December is not over on 1 December
    with clock.frozen_at(wib(dt.date(2027, 1, 10), 9)):
        first = selectors.get_figure("stage_waits", office, december).rows
        assert QueueMonthSummary.objects.filter(office=office, month=DAY.replace(day=1)).exists()
        again = selectors.get_figure("stage_waits", office, december).rows
        year = selectors.get_figure("served_within_target", office, period_for("year", DAY))
    assert live == first == again
    assert [r[:5] for r in year.rows] == [[DAY, 2, 2, 2, 100.0]]


def test_emergency_cases_and_decisions(floor):
    office = floor["office"]
    boss = floor["officer"]

    def record(n, reason, when):
        return _at(
            when,
            hotline.record_emergency_case,
            office=office,
            actor=boss,
            caller_name=f"Penelepon {n}",
            caller_phone="081234567890",
            nik=f"32150112059000{n:02d}",
            applicant_name=f"Pemohon {n}",
            domicile_regency="3215",
            reason=reason,
        )

    a = record(1, "medical_abroad", wib(DAY, 9))
    b = record(2, "medical_abroad", wib(DAY, 10))
    record(3, "newborn", wib(DAY, 11))
    _at(
        wib(DAY, 11),
        hotline.approve_emergency_case,
        case=a,
        actor=boss,
        service_date=NEXT,
        reason="Surat rumah sakit lengkap",
    )
    _at(wib(DAY, 14), hotline.reject_emergency_case, case=b, actor=boss, reason="Tidak mendesak")
    figure = selectors.get_figure("emergency_cases", office, period_for("month", DAY))
    medical, newborn = figure.rows
    assert medical[1:] == [2, 1, 1, 0, 0, 50.0, 3.0]  # decided after 2 and 4 hours
    assert newborn[1:] == [1, 0, 0, 1, 0, None, None]
    summary = {str(k): v for k, v in figure.summary}
    assert summary["recorded"] == 3 and summary["approval %"] == 50.0


def test_new_figures_are_exported_and_served_by_the_api(day_served, client):
    office = day_served["office"]
    period = period_for("day", DAY)
    figure = selectors.get_figure("stage_waits", office, period)
    csv_text = exports.figure_csv(figure)
    assert csv_text.splitlines()[0] == "stage,hour,count,p50,p90,mean"
    assert "12.5,14.5" in csv_text
    book = load_workbook(
        io.BytesIO(
            exports.figures_xlsx(selectors.list_figures(office, period), office_name="KRW",
                                 period=period)
        )
    )  # fmt: skip
    assert {"stage_waits", "served_within_target", "emergency_cases"} <= set(book.sheetnames)
    assert book["served_within_target"]["E2"].value == 100.0


def test_the_api_gives_the_queue_figures(day_served, client):
    token = issue_token(email="spv@contoh.id", password="rahasia-spv-2026")
    response = client.get(
        "/api/v1/reports/figures/stage_waits",
        {"office": day_served["office"].code, "period": "day", "date": DAY.isoformat()},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["key"] == "stage_waits" and body["rows"][0][3] == 12.5


def test_priority_quota_use(floor):
    """An elderly walk-in takes one of the day's 20 priority places."""
    with clock.frozen_at(wib(DAY, 9)):
        walk_ins.issue_walk_in_ticket(
            office=floor["office"],
            lane_kind=LaneKind.PRIORITY,
            name="Mbah Sastro",
            nik="3215010101450001",
            birth_date=dt.date(1945, 1, 1),
            officer=floor["officer"],
        )
    figure = selectors.get_figure("priority_quota", floor["office"], period_for("day", DAY))
    assert figure.rows == [[DAY, 20, 0, 1, 1, 0, 5.0]]


def test_places_released_are_the_ledgers_moves(floor):
    """The priority places released to another channel are the ledger's typed moves of the
    day: a move counts without an audit row, an audit row without a move does not. A day
    whose places all went, unused, still shows them."""
    office = floor["office"]
    priority = Channel.objects.get(office=office, code="priority")
    lost = Channel.objects.get(office=office, code="lost-damaged")
    with clock.frozen_at(wib(DAY, 9)):
        walk_ins.issue_walk_in_ticket(
            office=office,
            lane_kind=LaneKind.PRIORITY,
            name="Mbah Sastro",
            nik="3215010101450001",
            birth_date=dt.date(1945, 1, 1),
            officer=floor["officer"],
        )
    with clock.frozen_at(wib(DAY, 12)):
        ledger.move_unclaimed_places(from_channel=priority, to_channel=lost, day=DAY)
    with clock.frozen_at(wib(NEXT, 12)):
        ledger.move_unclaimed_places(from_channel=priority, to_channel=lost, day=NEXT)
        audit.record(  # a stray row: the reports do not read the audit trail
            action="capacity.priority_released",
            obj=lost,
            office=office,
            after={"moved": 7, "to": lost.code, "date": NEXT.isoformat()},
        )
    assert not AuditEvent.objects.filter(after__moved__in=[19, 20]).exists()
    figure = selectors.get_figure(
        "priority_quota", office, period_for("custom", start=DAY, end=NEXT)
    )
    assert figure.rows == [
        [DAY, 1, 0, 1, 1, 19, 100.0],
        [NEXT, 0, 0, 0, 0, 20, None],
    ]


def test_service_day_output(floor):
    """A Paspor Simpatik Saturday with 30 places and two people admitted."""
    from loket.offices.models import Channel, ChannelKind

    office = floor["office"]
    saturday = dt.date(2026, 12, 5)
    channel = Channel.objects.create(
        office=office, code="simpatik", kind=ChannelKind.SIMPATIK, name="Paspor Simpatik"
    )
    occurrence = service_days.create_one_off_day(
        office=office,
        channel=channel,
        name="Simpatik Desember",
        day=saturday,
        location="Aula kantor",
        quota=30,
        actor=floor["officer"],
    )
    for n in (1, 2):
        _at(
            wib(saturday, 8, n),
            service_days.admit_walk_in,
            occurrence=occurrence,
            name=f"Orang {n}",
            actor=floor["officer"],
        )
    figure = selectors.get_figure("service_days", office, period_for("month", saturday))
    [row] = figure.rows
    assert row[0] == saturday and row[1] == "Simpatik Desember"
    assert row[5:] == [30, 2, 2, 6.7]


def test_share_within_the_target_per_stage_and_for_the_whole_visit(floor):
    """Target 30 minutes. Three tickets: the first goes through every stage waiting 12
    minutes in all; the second waits 38 minutes for the photo; the third is never called
    there. Checked against the waits computed here from the raw event rows."""
    from django.db import connection

    office = floor["office"]
    c3 = office_setup.save_counter(office=office, number=3, stage_codes=["payment"])
    ReportSettings.objects.create(office=office, target_wait_minutes=30)
    c1, c2, officer = floor["c1"], floor["c2"], floor["officer"]
    for n, minute in ((1, 0), (2, 1), (3, 2)):
        _walk_in(floor, wib(DAY, 8, minute), n)
    steps = [
        (8, 5, counter_actions.call_next_ticket, c1),
        (8, 8, counter_actions.complete_ticket, c1),
        (8, 9, counter_actions.call_next_ticket, c1),
        (8, 10, counter_actions.call_next_ticket, c2),
        (8, 12, counter_actions.complete_ticket, c1),
        (8, 13, counter_actions.call_next_ticket, c1),
        (8, 15, counter_actions.complete_ticket, c2),
        (8, 16, counter_actions.complete_ticket, c1),
        (8, 20, counter_actions.call_next_ticket, c3),
        (8, 22, counter_actions.complete_ticket, c3),
        (8, 50, counter_actions.call_next_ticket, c2),
        (8, 55, counter_actions.complete_ticket, c2),
        (9, 0, counter_actions.call_next_ticket, c3),
        (9, 2, counter_actions.complete_ticket, c3),
    ]
    for hour, minute, action, counter in steps:
        _at(wib(DAY, hour, minute), action, counter=counter, officer=officer)

    # Independently: walk the raw events of each ticket in order.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.ticket_id, e.kind, e.at, e.stage_id, t.status FROM queue_ticketevent e "
            "JOIN queue_ticket t ON t.id = e.ticket_id WHERE e.office_id = %s "
            "ORDER BY e.ticket_id, e.at, e.id",
            [office.pk],
        )
        events = cursor.fetchall()
    stage_waits: dict[int, list[float]] = {}
    visit_wait: dict[int, float] = {}
    status: dict[int, str] = {}
    previous: dict[int, tuple] = {}
    for ticket_id, kind, at, stage_id, ticket_status in events:
        at = at if isinstance(at, dt.datetime) else dt.datetime.fromisoformat(str(at))
        status[ticket_id] = ticket_status
        visit_wait.setdefault(ticket_id, 0.0)
        before = previous.get(ticket_id)
        previous[ticket_id] = (kind, at)
        if kind == "called" and before and before[0] in ("issued", "finished", "transferred"):
            minutes = (at - before[1]).total_seconds() / 60
            stage_waits.setdefault(stage_id, []).append(minutes)
            visit_wait[ticket_id] += minutes
    expected_stage = {sid: (len(w), sum(1 for m in w if m <= 30)) for sid, w in stage_waits.items()}
    expected_visit = sum(1 for t, w in visit_wait.items() if status[t] == "done" and w <= 30)
    assert sorted(visit_wait.values()) == [11.0, 12.0, 51.0]
    assert sorted(status.values()) == ["done", "done", "waiting"]

    figure = selectors.get_figure("stage_within_target", office, period_for("day", DAY))
    names = dict(Stage.objects.filter(office=office).values_list("pk", "name"))
    rows = {r[0]: r[1:] for r in figure.rows}
    for stage_id, (waits, within) in expected_stage.items():
        assert rows[names[stage_id]][:2] == [waits, within]
    photo = Stage.objects.get(office=office, code="photo_interview").name
    assert rows[photo] == [2, 1, 50.0]
    assert rows["whole visit"] == [3, expected_visit, 33.3] and expected_visit == 1
    within = selectors.get_figure("served_within_target", office, period_for("day", DAY))
    assert within.rows == [[DAY, 3, 3, 3, 100.0, 2, 1, 33.3]]
