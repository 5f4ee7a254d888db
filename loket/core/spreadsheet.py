"""Cells written to CSV and XLSX files (every export of the codebase goes through here).

A spreadsheet program reads a cell that starts with `=`, `+`, `-` or `@` as a formula (and a
leading tab or carriage return can hide one), so text typed by anyone (an organisation's name
in an Eazy Passport request, a stage name) could run as a formula on a supervisor's PC
(CSV/formula injection, OWASP). `neutralise_cell` makes such text plain text by putting an
apostrophe in front, the way spreadsheet programs mark text themselves; numbers and dates
stay what they are.
"""

import datetime as dt

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value):
    """`value` safe to write as one CSV or XLSX cell: text that a spreadsheet would take for
    a formula gets a leading apostrophe; anything else is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_row(values) -> list:
    return [neutralise_cell(v) for v in values]


def csv_cell(value):
    """A cell as CSV text: None empty, dates ISO, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return neutralise_cell(value if isinstance(value, int | float) else str(value))
