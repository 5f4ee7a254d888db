import csv
import datetime as dt
import io
import uuid

import pytest
from django.utils.html import escape
from ninja import NinjaAPI
from ninja.testing import TestClient
from openpyxl import load_workbook

from loket.accounts.services import issue_token
from loket.booking.services import cancel_booking
from loket.core.errors import DomainError
from loket.reports import exports, selectors
from loket.reports.api import build_router
from loket.reports.selectors import period_for

DEC = dt.date(2026, 12, 1)
QUERY = {"office": "KRW", "period": "month", "date": "2026-12-01"}


@pytest.fixture
def december(office, book):
    book(dt.date(2026, 12, 3), purpose="tourism", regency="3216")
    book(dt.date(2026, 12, 3), "10:00", purpose="apprenticeship", paid=True)
    book(dt.date(2026, 12, 8), purpose="apprenticeship", passport_type="electronic")
    return period_for("month", DEC)


def test_csv_export_parses_back_to_the_figure(office, december):
    figure = selectors.purposes(office, december)
    rows = list(csv.reader(io.StringIO(exports.figure_csv(figure))))
    assert rows[0] == ["purpose", "label", "bookings", "share"]
    assert rows[1:] == [[str(v) for v in r] for r in figure.rows]
    capacity = selectors.capacity_use(office, december)
    parsed = list(csv.DictReader(io.StringIO(exports.figure_csv(capacity))))
    assert parsed[0]["date"] == "2026-12-01"
    assert parsed[0]["use"] != "None"


def test_xlsx_export_holds_every_figure_and_its_definition(office, december):
    figures = selectors.list_figures(office, december)
    data = exports.figures_xlsx(figures, office_name=office.name, period=december)
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["about", *selectors.FIGURES]
    purposes = [list(r) for r in book["purposes"].iter_rows(values_only=True)]
    assert purposes[0] == ["purpose", "label", "bookings", "share"]
    assert purposes[1][:3] == ["apprenticeship", "apprenticeship", 2]
    capacity = list(book["capacity_use"].iter_rows(values_only=True))
    assert capacity[1][0] == dt.datetime(2026, 12, 1)
    about = [r for r in book["about"].iter_rows(values_only=True)]
    assert about[0] == ("office", office.name, None)
    definitions = {r[0]: r[2] for r in about[4:]}
    assert definitions["lead_time"] == " ".join(selectors.FIGURES["lead_time"].__doc__.split())


def test_figure_definitions_are_in_indonesian_by_default(client, office, december, settings):
    """Each figure's definition is on its page in the user's language."""
    from django.utils import translation

    with translation.override("id"):
        figure = selectors.FIGURES["lead_time"](office, december)
    assert figure.definition.startswith("Jarak waktu: hari dari hari pendaftaran dibuat")
    with translation.override("en"):
        figure = selectors.FIGURES["lead_time"](office, december)
    assert figure.definition.startswith("Lead time: days from the day a booking was made")


def test_reports_are_for_staff_only(client, office, account):
    """Anonymous people are sent to the staff login; applicants are refused."""
    for url in ("/reports/", "/reports/planner/", "/reports/monthly/", "/reports/export/all.xlsx"):
        response = client.get(url)
        assert response.status_code == 302 and "/office/login/" in response["Location"]
    client.force_login(account)
    assert client.get("/reports/").status_code == 403


def test_report_page_shows_each_figure_with_its_definition_and_chart(client, staff, december):
    client.force_login(staff)
    response = client.get("/reports/", QUERY)
    assert response.status_code == 200
    html = response.content.decode()
    for key, selector in selectors.FIGURES.items():
        assert f'id="{key}"' in html
        first_line = selector.__doc__.split("\n")[0].strip()
        assert escape(first_line) in html
    assert 'id="chart-data-purposes"' in html and 'id="chart-purposes"' in html
    assert "reports/vendor/chart.umd.min.js" in html
    assert "/reports/export/all.xlsx?" in html


def test_downloads_from_the_page(client, staff, december):
    client.force_login(staff)
    response = client.get("/reports/export/purposes.csv", QUERY)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert "loket-KRW-20261201-20261231-purposes.csv" in response["Content-Disposition"]
    assert response.content.decode().splitlines()[1].startswith("apprenticeship,")
    workbook = client.get("/reports/export/all.xlsx", QUERY)
    assert workbook.status_code == 200
    assert "lead_time" in load_workbook(io.BytesIO(workbook.content)).sheetnames
    assert client.get("/reports/export/nothing.csv", QUERY).status_code == 404
    assert client.get("/reports/export/all.csv", QUERY).status_code == 404


def test_a_bad_period_is_explained_not_failed(client, staff, office):
    client.force_login(staff)
    response = client.get(
        "/reports/",
        {"office": "KRW", "period": "custom", "start": "2026-12-05", "end": "2026-12-01"},
    )
    assert response.status_code == 200
    assert "custom range" in response.content.decode()


def test_monthly_report_prints(client, staff, december):
    client.force_login(staff)
    response = client.get("/reports/monthly/", {"office": "KRW", "month": "2026-12"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'media="print"' in html and "reports/print.css" in html
    assert "01-12-2026 - 31-12-2026" in html
    assert html.count('class="figure"') == len(selectors.FIGURES)


def test_planner_page_compares_two_counter_plans(client, staff, office):
    client.force_login(staff)
    assert client.get("/reports/planner/").status_code == 200
    form = {
        "booked": "8-14:24",
        "walk_ins": "8-11:5",
        "no_show": "8",
        "target": "15",
        "days": "3",
        "seed": "1",
        "stage0_name": "Foto",
        "stage0_mean": "5",
        "stage0_distribution": "lognormal",
        "stage0_cv": "0.4",
        "stage0_a": "2",
        "stage0_b": "2; 12-15:3",
        "recommend": "1",
    }
    for i in range(1, 4):
        form[f"stage{i}_distribution"] = "lognormal"
    response = client.post("/reports/planner/", form)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="chart-data-stage-0"' in html
    assert "Recommended counters" in html
    bad = client.post("/reports/planner/", {**form, "stage0_b": "2; 30:1"})
    assert "hours must be 0-23" in bad.content.decode()


def test_planner_takes_booked_arrivals_from_bookings(client, staff, office, book):
    """With an office and a day, the booked people are that day's bookings per window."""
    book(dt.date(2026, 12, 3))
    book(dt.date(2026, 12, 3), "10:00")
    gone = book(dt.date(2026, 12, 3), "11:00")
    cancel_booking(account=gone.account, code=gone.code)
    assert selectors.booked_arrivals(office, dt.date(2026, 12, 3)) == [
        (dt.time(9), dt.time(10), 1),
        (dt.time(10), dt.time(11), 1),
    ]
    client.force_login(staff)
    form = {
        "office": "KRW",
        "date": "2026-12-03",
        "no_show": "0",
        "target": "15",
        "days": "2",
        "seed": "1",
        "stage0_name": "Foto",
        "stage0_mean": "5",
        "stage0_distribution": "exponential",
        "stage0_a": "1",
    }
    for i in range(1, 4):
        form[f"stage{i}_distribution"] = "lognormal"
    html = client.post("/reports/planner/", form).content.decode()
    assert "Booked arrivals from 2 windows" in html
    assert '<td class="num">2.0</td>' in html  # people per day, plan A


@pytest.fixture
def api_client():
    api = NinjaAPI(urls_namespace=f"reports-test-{uuid.uuid4().hex}")

    @api.exception_handler(DomainError)
    def domain_error(request, exc):
        return api.create_response(
            request, {"code": exc.code, "detail": str(exc)}, status=exc.status
        )

    api.add_router("/reports", build_router())
    return TestClient(api)


def test_api_gives_every_figure_to_staff_only(api_client, staff, account, december):
    staff.email_verified_at = staff.date_joined
    staff.save()
    staff_token = issue_token(email="kepala@contoh.id", password="rahasia-kepala-1")
    headers = {"Authorization": f"Bearer {staff_token}"}
    response = api_client.get("/reports/figures", query_params=QUERY, headers=headers)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [f["key"] for f in body["figures"]] == list(selectors.FIGURES)
    assert (body["start"], body["end"]) == ("2026-12-01", "2026-12-31")
    one = api_client.get("/reports/figures/purposes", query_params=QUERY, headers=headers)
    assert one.json()["rows"][0][:3] == ["apprenticeship", "apprenticeship", 2]
    missing = api_client.get("/reports/figures/nope", query_params=QUERY, headers=headers)
    assert missing.status_code == 404
    applicant_token = issue_token(email="budi@contoh.id", password="rahasia-panjang-1")
    refused = api_client.get(
        "/reports/figures",
        query_params=QUERY,
        headers={"Authorization": f"Bearer {applicant_token}"},
    )
    assert refused.status_code == 403 and refused.json()["code"] == "staff_only"
    assert api_client.get("/reports/figures", query_params=QUERY).status_code == 401


def test_api_planner(api_client, staff):
    staff.email_verified_at = staff.date_joined
    staff.save()
    token = issue_token(email="kepala@contoh.id", password="rahasia-kepala-1")
    payload = {
        "booked_per_hour": {"8": 20, "9": 20},
        "stages": [{"name": "Foto", "service": {"mean": 5}, "counters": 2}],
        "days": 3,
        "target_p90": 10,
    }
    response = api_client.post(
        "/reports/planner", json=payload, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["result"]["stages"][0]["name"] == "Foto"
    assert body["recommendation"]["met"] is True
