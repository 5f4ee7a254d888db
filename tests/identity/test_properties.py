"""Property tests of the pure rules: NIK round trips, splitting a day's places."""

import datetime as dt
import math

from hypothesis import given
from hypothesis import strategies as st

from loket.identity.nik import NikInvalid, mask_nik, parse_nik
from loket.offices.domain import split_capacity
from tests.conftest import make_nik

TODAY = dt.date(2026, 12, 1)
# A few real district prefixes across the country (Karawang, Purwakarta, Jakarta, Papua).
DISTRICTS = ["321501", "321530", "321401", "317101", "110501", "940101"]

births = st.dates(min_value=dt.date(1901, 1, 1), max_value=TODAY)
sexes = st.sampled_from(["M", "F"])
districts = st.sampled_from(DISTRICTS)
serials = st.integers(min_value=1, max_value=9999)


@given(birth=births, sex=sexes, district=districts, serial=serials)
def test_a_valid_nik_round_trips_birth_date_and_sex(birth, sex, district, serial):
    """Any valid NIK with its declared birth date gives back that date and the sex."""
    nik = make_nik(birth, sex, district=district, serial=serial)
    info = parse_nik(nik, today=TODAY, declared_birth_date=birth)
    assert info.birth_date == birth
    assert info.sex == sex
    assert info.district_code == district
    assert info.serial == f"{serial:04d}"


@given(birth=st.dates(min_value=dt.date(1927, 1, 1), max_value=TODAY), sex=sexes)
def test_without_a_declared_date_anyone_under_100_is_read_right(birth, sex):
    """Without a declared date, the birth date of anyone younger than 100 is read right."""
    assert parse_nik(make_nik(birth, sex), today=TODAY).birth_date == birth


@given(birth=births, sex=sexes, shift=st.integers(min_value=1, max_value=3650))
def test_any_other_declared_date_in_the_same_century_is_refused(birth, sex, shift):
    """A declared date other than the NIK's is refused (the other century is 100 years off)."""
    other = birth - dt.timedelta(days=shift)
    try:
        parse_nik(make_nik(birth, sex), today=TODAY, declared_birth_date=other)
    except NikInvalid:
        return
    raise AssertionError(f"{other} accepted for a NIK born {birth}")


@given(birth=births, sex=sexes)
def test_a_masked_nik_never_shows_the_birth_date(birth, sex):
    """The masked NIK hides the ten digits of district, birth date and most of the serial."""
    masked = mask_nik(make_nik(birth, sex))
    assert masked[4:14] == "*" * 10
    assert len(masked) == 16


@given(
    total=st.integers(min_value=0, max_value=5000),
    weights=st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=24),
)
def test_split_capacity_sums_to_the_total_and_follows_the_weights(total, weights):
    """Windows share exactly the day's places; each gets its share rounded down or up."""
    parts = split_capacity(total, weights)
    assert sum(parts) == total
    assert len(parts) == len(weights)
    weight_sum = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = total * weight / weight_sum
        assert math.floor(exact) <= part <= math.ceil(exact)


@given(
    total=st.integers(min_value=0, max_value=5000),
    weight=st.integers(min_value=1, max_value=50),
    count=st.integers(min_value=1, max_value=24),
)
def test_equal_windows_differ_by_at_most_one_place(total, weight, count):
    """Windows of equal weight never differ by more than one place."""
    parts = split_capacity(total, [weight] * count)
    assert max(parts) - min(parts) <= 1
