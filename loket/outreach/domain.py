"""Pure rules of outreach: service-day expansion, the participant file, emergency eligibility."""

import csv
import datetime as dt
import io
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from loket.core.errors import DomainError
from loket.identity import regions
from loket.identity.nik import normalize_nik, parse_nik

# --- Recurring service days -------------------------------------------------------------


def expand_rule(
    *,
    weekday: int,
    valid_from: dt.date,
    valid_until: dt.date | None,
    start: dt.date,
    end: dt.date,
    is_closed: Callable[[dt.date], bool],
) -> list[dt.date]:
    """The dates of a weekly rule within [start, end] and its validity, closed days skipped."""
    first = max(start, valid_from)
    last = end if valid_until is None else min(end, valid_until)
    if last < first:
        return []
    day = first + dt.timedelta(days=(weekday - first.weekday()) % 7)
    found = []
    while day <= last:
        if not is_closed(day):
            found.append(day)
        day += dt.timedelta(days=7)
    return found


# --- Codes --------------------------------------------------------------------------------

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def new_code(prefix: str, length: int = 8) -> str:
    return prefix + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(length))


# --- The participant file -----------------------------------------------------------------

CSV_COLUMNS = ("nik", "name", "birth_date", "application_type")
CSV_MAX_BYTES = 1_000_000
CSV_MAX_ROWS = 1_000
_TYPE_ALIASES = {
    "new": "new",
    "baru": "new",
    "replacement": "replacement",
    "penggantian": "replacement",
    "ganti": "replacement",
}
_DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y")
# A cell a spreadsheet would run as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "|")


@dataclass(frozen=True)
class RowError:
    row: int  # the line in the file; the header is row 1
    field: str  # a column name, or "" for the whole row or file
    message: str

    def __str__(self) -> str:
        where = _("row %(row)s") % {"row": self.row} if self.row else _("file")
        return (
            f"{where}, {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


@dataclass(frozen=True)
class ParticipantRow:
    row: int
    nik: str
    name: str
    birth_date: dt.date
    application_type: str


def _parse_date(value: str) -> dt.date | None:
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def parse_participant_file(
    data: bytes,
    *,
    today: dt.date,
    max_bytes: int = CSV_MAX_BYTES,
    max_rows: int = CSV_MAX_ROWS,
) -> tuple[list[ParticipantRow], list[RowError]]:
    """Check a participant CSV row by row. Any error refuses the whole file: use rows only
    when the error list is empty."""
    if len(data) > max_bytes:
        return [], [
            RowError(0, "", _("The file is larger than %(kb)s KB.") % {"kb": max_bytes // 1000})
        ]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [
            RowError(
                0,
                "",
                _("The file is not UTF-8 text (byte %(pos)s). Save it as 'CSV UTF-8'.")
                % {"pos": exc.start + 1},
            )
        ]
    if "\x00" in text:
        return [], [RowError(0, "", _("The file is not a CSV text file."))]
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        return [], [RowError(1, "", _("The file is empty. The first row must name the columns."))]
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    errors: list[RowError] = []
    try:
        header = [h.strip().lower() for h in next(reader)]
    except csv.Error:
        return [], [RowError(1, "", _("The first row cannot be read as CSV."))]
    missing = [c for c in CSV_COLUMNS if c not in header]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        parts = []
        if missing:
            parts.append(_("missing: %(cols)s") % {"cols": ", ".join(missing)})
        if unknown:
            parts.append(_("unknown: %(cols)s") % {"cols": ", ".join(h or '""' for h in unknown)})
        if len(set(header)) != len(header):
            parts.append(_("a column is named twice"))
        return [], [
            RowError(
                1,
                "",
                _("The columns must be %(cols)s (%(problems)s).")
                % {"cols": ", ".join(CSV_COLUMNS), "problems": "; ".join(parts)},
            )
        ]
    index = {name: header.index(name) for name in CSV_COLUMNS}
    rows: list[ParticipantRow] = []
    seen: dict[str, int] = {}
    count = 0
    line = 1
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            count += 1
            if count > max_rows:
                return [], [
                    RowError(
                        line,
                        "",
                        _("The file has more than %(max)s participants. Split the group.")
                        % {"max": max_rows},
                    )
                ]
            row = _check_row(line, cells, index, len(header), today, seen, errors)
            if row is not None:
                rows.append(row)
    except csv.Error as exc:
        errors.append(RowError(line + 1, "", _("The row cannot be read as CSV (%s).") % exc))
    if count == 0 and not errors:
        errors.append(RowError(2, "", _("The file lists no participants.")))
    return (rows if not errors else []), errors


def _check_row(
    line: int,
    cells: list[str],
    index: dict[str, int],
    width: int,
    today: dt.date,
    seen: dict[str, int],
    errors: list[RowError],
) -> ParticipantRow | None:
    if len(cells) != width:
        errors.append(
            RowError(
                line,
                "",
                _("The row has %(got)s cells, the header %(want)s.")
                % {"got": len(cells), "want": width},
            )
        )
        return None
    values = {name: cells[i].strip() for name, i in index.items()}
    before = len(errors)
    for name in CSV_COLUMNS:
        raw = cells[index[name]]
        if raw.lstrip(" ").startswith(_FORMULA_STARTS):
            errors.append(RowError(line, name, _("A cell may not start with =, +, -, @ or a tab.")))
            values[name] = ""
        elif not values[name]:
            errors.append(RowError(line, name, _("This cell is empty.")))
    if len(errors) > before:
        return None
    name = values["name"]
    if len(name) > 150:
        errors.append(RowError(line, "name", _("A name has at most 150 characters.")))
    application_type = _TYPE_ALIASES.get(values["application_type"].lower())
    if application_type is None:
        errors.append(
            RowError(
                line,
                "application_type",
                _(
                    "Use new (baru) or replacement (penggantian); lost and damaged passports are "
                    "served only at the office."
                ),
            )
        )
    birth_date = _parse_date(values["birth_date"])
    if birth_date is None:
        errors.append(
            RowError(line, "birth_date", _("Write the date as YYYY-MM-DD, e.g. 2001-08-17."))
        )
    nik = normalize_nik(values["nik"])
    if birth_date is not None:
        try:
            nik = parse_nik(nik, today=today, declared_birth_date=birth_date).nik
        except DomainError as exc:
            errors.append(RowError(line, "nik", str(exc)))
    if nik in seen:
        errors.append(
            RowError(line, "nik", _("This NIK is already on row %(row)s.") % {"row": seen[nik]})
        )
    else:
        seen[nik] = line
    if len(errors) > before:
        return None
    return ParticipantRow(line, nik, name, birth_date, application_type)


# --- Emergency eligibility ---------------------------------------------------------------


@dataclass(frozen=True)
class Eligibility:
    in_working_area: bool
    domicile_regency: str
    domicile_name: str
    nik_regency: str
    nik_regency_name: str
    nik_hint: str  # shown to the officer only; never decides


def emergency_eligibility(
    *, domicile_regency: str, nik: str, working_area: Iterable[str]
) -> Eligibility:
    """Eligible when the KTP address regency is in the office's working area.

    The NIK's region digits say where it was first issued, not where the person lives: they
    only produce a hint when they disagree with the KTP address.
    """
    area = set(working_area)
    nik_regency = nik[:4] if len(nik) >= 4 else ""
    inside = domicile_regency in area
    hint = ""
    if nik_regency and nik_regency != domicile_regency:
        hint = _(
            "The NIK was first issued in %(nik)s, the KTP address is in %(ktp)s. The KTP address "
            "decides; check the card."
        ) % {
            "nik": regions.regency_name(nik_regency),
            "ktp": regions.regency_name(domicile_regency),
        }
    return Eligibility(
        in_working_area=inside,
        domicile_regency=domicile_regency,
        domicile_name=regions.regency_name(domicile_regency),
        nik_regency=nik_regency,
        nik_regency_name=regions.regency_name(nik_regency) if nik_regency else "",
        nik_hint=hint,
    )
