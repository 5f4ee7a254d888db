"""The participant CSV: checked row by row; any error refuses the whole file."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from loket.outreach.domain import parse_participant_file
from tests.conftest import make_nik

TODAY = dt.date(2026, 12, 1)
HEADER = "nik,name,birth_date,application_type\n"


def person(i: int, sex="M", birth=dt.date(2001, 8, 17)) -> str:
    return f"{make_nik(birth, sex, serial=i)},Peserta {i},{birth:%Y-%m-%d},new\n"


def parse(text: str | bytes, **kw):
    data = text.encode() if isinstance(text, str) else text
    return parse_participant_file(data, today=TODAY, **kw)


def test_a_good_file_gives_every_participant():
    text = HEADER + "".join(person(i) for i in range(1, 21))
    rows, errors = parse(text)
    assert errors == []
    assert len(rows) == 20
    assert rows[0].row == 2 and rows[0].name == "Peserta 1" and rows[0].application_type == "new"


def test_excel_style_files_are_accepted():
    """A UTF-8 BOM, semicolons, Indonesian type words, dd/mm/yyyy dates and CRLF all work."""
    nik = make_nik(dt.date(2000, 2, 29), "F", serial=3)
    text = (
        "\ufeffNIK;Name;Birth_Date;Application_Type\r\n"
        f"{nik};Dewi Lestari;29/02/2000;penggantian\r\n"
    )
    rows, errors = parse(text)
    assert errors == []
    assert rows[0].birth_date == dt.date(2000, 2, 29)
    assert rows[0].application_type == "replacement"


def test_wrong_or_missing_columns_refuse_the_file():
    rows, errors = parse("nik,nama,tanggal_lahir\n" + person(1))
    assert rows == []
    assert len(errors) == 1 and errors[0].row == 1
    assert "missing: name, birth_date, application_type" in errors[0].message
    assert "unknown: nama, tanggal_lahir" in errors[0].message


def test_every_bad_row_is_named_with_its_field_and_nothing_is_kept():
    lines = [
        person(1),
        "3215011708010000,Serial Nol,2001-08-17,new\n",  # serial 0000
        f"{make_nik(dt.date(2001, 8, 17), serial=3)},Tanggal Salah,2001-08-18,new\n",
        f"{make_nik(dt.date(2001, 8, 17), serial=4)},Hilang,2001-08-17,lost\n",
        "12345,Pendek,2001-08-17,new\n",
        f"{make_nik(dt.date(2001, 8, 17), serial=6)},,17 Agustus 2001,new\n",
    ]
    rows, errors = parse(HEADER + "".join(lines))
    assert rows == []
    where = [(e.row, e.field) for e in errors]
    assert where == [
        (3, "nik"),
        (4, "nik"),
        (5, "application_type"),
        (6, "nik"),
        (7, "name"),
    ]
    assert "row 4, nik" in str(errors[1])


def test_a_date_that_is_not_a_date_is_named():
    rows, errors = parse(HEADER + f"{make_nik(dt.date(2001, 8, 17), serial=1)},A,17-Agu-2001,new\n")
    assert [(e.row, e.field) for e in errors] == [(2, "birth_date")]


def test_a_nik_twice_in_the_file_names_both_rows():
    rows, errors = parse(HEADER + person(1) + person(2) + person(1))
    assert [(e.row, e.field) for e in errors] == [(4, "nik")]
    assert "row 2" in errors[0].message


def test_formula_cells_are_refused():
    """=cmd|..., +, -, @ at the start of a cell would run in a spreadsheet: refused."""
    nik = make_nik(dt.date(2001, 8, 17), serial=1)
    text = (
        HEADER
        + f"{nik},\"=cmd|' /C calc'!A0\",2001-08-17,new\n"
        + f"{make_nik(dt.date(2001, 8, 17), serial=2)},@SUM(A1),2001-08-17,new\n"
        + f"{make_nik(dt.date(2001, 8, 17), serial=3)},Biasa,2001-08-17,+new\n"
    )
    rows, errors = parse(text)
    assert rows == []
    assert [(e.row, e.field) for e in errors] == [(2, "name"), (3, "name"), (4, "application_type")]


def test_a_file_that_is_not_utf8_is_refused_with_a_hint():
    text = (HEADER + "3215011708010001,Sité,2001-08-17,new\n").encode("latin-1")
    rows, errors = parse(text)
    assert rows == [] and len(errors) == 1
    assert "UTF-8" in errors[0].message


def test_binary_and_empty_files_are_refused():
    assert parse(b"")[1][0].row == 1
    assert parse(HEADER)[1][0].message.startswith("The file lists no participants")
    assert parse(b"PK\x03\x04\x00\x00binary")[0] == []


def test_huge_files_are_refused_before_reading():
    rows, errors = parse(b"x" * 1_000_001)
    assert rows == [] and "larger than" in errors[0].message


def test_more_rows_than_allowed_are_refused():
    text = HEADER + "".join(person(i) for i in range(1, 13))
    rows, errors = parse(text, max_rows=10)
    assert rows == [] and "more than 10" in errors[0].message


def test_a_row_with_the_wrong_number_of_cells_is_named():
    rows, errors = parse(HEADER + person(1) + "3215011708010002,Dua,2001-08-17\n")
    assert [(e.row, e.field) for e in errors] == [(3, "")]


def test_a_broken_quote_is_an_error_not_a_crash():
    rows, errors = parse(HEADER + '3215011708010001,"Tanpa tutup,2001-08-17,new\n')
    assert rows == [] and errors


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_give_rows_or_errors_never_both_never_a_crash(data):
    rows, errors = parse_participant_file(data, today=TODAY)
    assert not (rows and errors)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_any_text_after_a_good_header_never_crashes(tail):
    rows, errors = parse(HEADER + tail)
    assert not (rows and errors)
    assert all(e.row >= 0 and e.message for e in errors)
