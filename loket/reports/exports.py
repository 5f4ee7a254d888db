"""Figures as files: CSV (one figure) and XLSX (one sheet per figure, definitions beside).

Every cell goes through `loket.core.spreadsheet` (text that a spreadsheet would read as a
formula is neutralised)."""

import csv
import datetime as dt
import io

from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.styles import Font

from loket.core.spreadsheet import csv_cell, neutralise_cell, neutralise_row
from loket.reports.selectors import Figure, Period


def figure_csv(figure: Figure) -> str:
    """The figure's table as CSV: a header row of column keys, then the rows."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_cell(c.key) for c in figure.columns])
    for row in figure.rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()


def _xlsx_cell(value):
    """Numbers and dates as they are, any other value as neutralised text."""
    if value is None or isinstance(value, int | float | dt.date):
        return value
    return neutralise_cell(str(value))


def _sheet_title(key: str, used: set[str]) -> str:
    title = key[:31]
    n = 2
    while title in used:
        title = f"{key[:28]}_{n}"
        n += 1
    used.add(title)
    return title


def figures_xlsx(figures: list[Figure], *, office_name: str, period: Period) -> bytes:
    """A workbook: a sheet per figure (header of column keys, then rows; dates as dates),
    and an "about" sheet with the office, the period and each figure's definition."""
    workbook = Workbook()
    about = workbook.active
    about.title = "about"
    about.append(neutralise_row([gettext("office"), office_name]))
    about.append([gettext("period"), period.start, period.end])
    about.append([])
    about.append(neutralise_row([gettext("sheet"), gettext("figure"), gettext("definition")]))
    used = {"about"}
    bold = Font(bold=True)
    for figure in figures:
        title = _sheet_title(figure.key, used)
        sheet = workbook.create_sheet(title)
        sheet.append(neutralise_row(c.key for c in figure.columns))
        for cell in sheet[1]:
            cell.font = bold
        for row in figure.rows:
            sheet.append([_xlsx_cell(v) for v in row])
        for column, spec in zip(
            sheet.iter_cols(min_row=1, max_row=1), figure.columns, strict=False
        ):
            if spec.kind == "date":
                for cell in sheet[column[0].column_letter][1:]:
                    cell.number_format = "yyyy-mm-dd"
        about.append(neutralise_row([title, str(figure.title), figure.definition]))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
