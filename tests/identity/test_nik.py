import datetime as dt

import pytest

from loket.identity import regions
from loket.identity.nik import NikInvalid, age_on, mask_nik, mask_phone, parse_nik
from tests.conftest import make_nik

TODAY = dt.date(2026, 12, 1)


def test_a_male_nik_gives_birth_date_sex_and_region():
    """A man's NIK gives his birth date, his sex and the district where it was issued."""
    info = parse_nik("3215011205900001", today=TODAY)
    assert info.birth_date == dt.date(1990, 5, 12)
    assert info.sex == "M"
    assert info.province_code == "32"
    assert info.regency_code == "3215"
    assert info.district_code == "321501"
    assert info.serial == "0001"
    assert "Karawang" in info.region_name


def test_a_female_nik_has_forty_added_to_the_day():
    """A woman's NIK carries the day of birth plus 40."""
    info = parse_nik("3215014308920002", today=TODAY)
    assert info.birth_date == dt.date(1992, 8, 3)
    assert info.sex == "F"


def test_a_woman_born_on_the_31st_has_day_71():
    """Day 71 is a woman born on the 31st."""
    info = parse_nik(make_nik(dt.date(1985, 1, 31), "F"), today=TODAY)
    assert info.sex == "F"
    assert info.birth_date == dt.date(1985, 1, 31)


def test_spaces_in_a_nik_are_ignored():
    """A NIK typed in groups ('3215 0112 0590 0001') is read as the same number."""
    assert parse_nik(" 3215 0112 0590 0001 ", today=TODAY).nik == "3215011205900001"


def test_without_a_declared_date_the_latest_past_century_is_taken():
    """Without a declared birth date, '20' means 2020 rather than 1920."""
    info = parse_nik(make_nik(dt.date(2020, 5, 12)), today=TODAY)
    assert info.birth_date == dt.date(2020, 5, 12)


def test_a_birth_year_not_yet_reached_is_taken_from_the_last_century():
    """Without a declared date, a year still to come this century means the last century."""
    info = parse_nik("321501120530" + "0001", today=TODAY)
    assert info.birth_date == dt.date(1930, 5, 12)


def test_the_declared_birth_date_decides_the_century():
    """A declared birth date in 1920 makes '20' mean 1920."""
    nik = make_nik(dt.date(2020, 5, 12))
    info = parse_nik(nik, today=TODAY, declared_birth_date=dt.date(1920, 5, 12))
    assert info.birth_date == dt.date(1920, 5, 12)


def test_a_declared_birth_date_that_differs_is_refused():
    """A declared birth date that is not the one in the NIK is refused."""
    with pytest.raises(NikInvalid) as exc:
        parse_nik("3215011205900001", today=TODAY, declared_birth_date=dt.date(1990, 5, 13))
    assert exc.value.code == "nik_invalid"
    assert "+40" in str(exc.value)


def test_an_unknown_region_prefix_is_refused():
    """A NIK whose first six digits are no known district is refused, naming the prefix."""
    assert regions.district("999999") is None
    with pytest.raises(NikInvalid) as exc:
        parse_nik("9999991205900001", today=TODAY)
    assert "999999" in str(exc.value)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "321501120590000",  # 15 digits
        "32150112059000011",  # 17 digits
        "32150112059O0001",  # a letter O for a zero
        "3215-0112-0590-0001",
        "3215011205900001\n1",
        "３２１５０１１２０５９０００１",  # full-width digits
        "321501١٢٠٥٩٠٠٠٠١",  # Arabic-Indic digits after a valid prefix
    ],
)
def test_anything_but_sixteen_ascii_digits_is_refused(raw):
    """A NIK is exactly 16 digits 0-9."""
    with pytest.raises(NikInvalid) as exc:
        parse_nik(raw, today=TODAY)
    assert exc.value.status == 422


def test_none_is_refused_as_a_nik():
    """A missing NIK is refused with the same error as a malformed one."""
    with pytest.raises(NikInvalid):
        parse_nik(None, today=TODAY)


@pytest.mark.parametrize(
    "date_digits",
    [
        "310299",  # 31 February
        "300200",  # 30 February, either century
        "290201",  # 29 February in a year that is not a leap year
        "001290",  # day 0
        "400590",  # day 40 is neither a man's day nor a woman's
        "720590",  # a woman's 32nd
        "121390",  # month 13
        "120090",  # month 0
    ],
)
def test_impossible_birth_dates_are_refused(date_digits):
    """Birth-date digits that are no real date in either century are refused."""
    with pytest.raises(NikInvalid) as exc:
        parse_nik(f"321501{date_digits}0001", today=TODAY)
    assert "real date" in str(exc.value)


def test_29_february_2000_is_a_real_date():
    """29 February exists in 2000 (but not in 1900): the NIK is accepted."""
    info = parse_nik("3215012902000001", today=TODAY)
    assert info.birth_date == dt.date(2000, 2, 29)


def test_a_woman_born_on_29_february_2000_is_accepted():
    """Day 69, February 2000: a woman born on leap day."""
    info = parse_nik("3215016902000001", today=TODAY)
    assert (info.birth_date, info.sex) == (dt.date(2000, 2, 29), "F")


def test_serial_0000_is_refused():
    """Serial numbers start from 0001."""
    with pytest.raises(NikInvalid) as exc:
        parse_nik("3215011205900000", today=TODAY)
    assert "0000" in str(exc.value)


def test_a_declared_birth_date_in_the_future_is_refused():
    """A birth date after today is refused even when it matches the NIK."""
    nik = make_nik(dt.date(2027, 12, 1))
    with pytest.raises(NikInvalid) as exc:
        parse_nik(nik, today=TODAY, declared_birth_date=dt.date(2027, 12, 1))
    assert "future" in str(exc.value)


def test_a_birth_today_is_accepted():
    """A baby born today may have a NIK already."""
    info = parse_nik(make_nik(TODAY, "F"), today=TODAY, declared_birth_date=TODAY)
    assert info.birth_date == TODAY


def test_age_on_counts_completed_years():
    """Age is the number of birthdays already reached."""
    birth = dt.date(2009, 12, 2)
    assert age_on(birth, dt.date(2026, 12, 1)) == 16
    assert age_on(birth, dt.date(2026, 12, 2)) == 17
    assert age_on(birth, birth) == 0


def test_someone_born_on_29_february_ages_on_1_march():
    """Born on leap day: a year older on 1 March in other years, on 29 February in leap years."""
    birth = dt.date(2008, 2, 29)
    assert age_on(birth, dt.date(2025, 2, 28)) == 16
    assert age_on(birth, dt.date(2025, 3, 1)) == 17
    assert age_on(birth, dt.date(2028, 2, 28)) == 19
    assert age_on(birth, dt.date(2028, 2, 29)) == 20


def test_a_masked_nik_shows_region_and_last_two_digits():
    """A masked NIK keeps the regency and the last two digits only."""
    assert mask_nik("3215011205900012") == "3215**********12"


def test_a_malformed_nik_is_masked_completely():
    """Something that is no 16-digit NIK is hidden completely."""
    assert mask_nik("12345") == "*****"


def test_a_masked_phone_shows_the_prefix_and_last_two_digits():
    """A masked phone number keeps the operator prefix and the last two digits."""
    assert mask_phone("081234567890") == "081*******90"
    assert len(mask_phone("081234567890")) == len("081234567890")


def test_a_short_phone_is_masked_completely():
    """Four digits or fewer are hidden completely; nothing is shown of an empty number."""
    assert mask_phone("1234") == "****"
    assert mask_phone("") == ""
