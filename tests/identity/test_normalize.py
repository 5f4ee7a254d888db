"""One NIK normalisation for every way a NIK comes in."""

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loket.identity.nik import is_nik_format, normalize_nik

NIK = "3215010101500007"


@pytest.mark.parametrize(
    "typed",
    [NIK, f" {NIK} ", "3215 0101 0150 0007", "3215\u00a00101\t0150\n0007"],
)
def test_whitespace_is_dropped(typed):
    """However it is grouped or padded, a typed NIK reads as its 16 digits."""
    assert normalize_nik(typed) == NIK


@pytest.mark.parametrize(
    "typed", ["３２１５０１０１０１５０００07", "3215O10101500007", "3215-0101-0150-0007", ""]
)
def test_other_characters_stay_and_are_refused_by_the_format(typed):
    """Letters and non-ASCII digits are not turned into digits: the format check refuses them."""
    assert not is_nik_format(normalize_nik(typed))


@given(st.text(alphabet="0123456789 \t\u00a0", max_size=40))
def test_normalising_twice_changes_nothing(raw):
    once = normalize_nik(raw)
    assert normalize_nik(once) == once
    assert set(once) <= set("0123456789")


def test_no_module_normalises_a_nik_by_hand():
    """The NIK is cleaned only by loket.identity.nik.normalize_nik (release had its own regex,
    the check-in its own strip and replace, the API's rate limit dropped every non-digit)."""
    package = Path(__file__).resolve().parents[2] / "loket"
    by_hand = re.compile(r'\.strip\(\)|replace\(" ", ""\)|r"\\D"|fullmatch\(r"\[0-9\]\{16\}"')
    offenders = [
        f"{path.relative_to(package).as_posix()}: {line.strip()}"
        for path in package.rglob("*.py")
        if "migrations" not in path.parts and path.name != "masking.py"
        for line in path.read_text().splitlines()
        if "nik" in line.lower() and by_hand.search(line)
    ]
    assert offenders == []
