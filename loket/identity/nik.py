"""NIK (Nomor Induk Kependudukan) parsing: PP KK CC DDMMYY SSSS. Pure rules, no ORM."""

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from loket.core.errors import DomainError
from loket.core.masking import mask_nik_digits, mask_phone_digits
from loket.identity import regions

# ASCII digits only: \d would also take full-width and other Unicode digits.
_NIK_RE = re.compile(r"^[0-9]{16}$")


class NikInvalid(DomainError, code="nik_invalid", status=422):
    message = _("The NIK is not valid.")


@dataclass(frozen=True)
class NikInfo:
    nik: str
    province_code: str
    regency_code: str
    district_code: str
    birth_date: dt.date
    sex: str  # "M" or "F"
    serial: str

    @property
    def region_name(self) -> str:
        d = regions.district(self.district_code) or {}
        return ", ".join(
            x for x in (d.get("nama_kecamatan"), d.get("nama_kabkota"), d.get("nama_provinsi")) if x
        )


def normalize_nik(raw: str | None) -> str:
    """The one NIK normalisation, used wherever a NIK comes in: whitespace (spaces grouping
    the digits, a tab or a no-break space from a copied KTP scan, around or inside) is dropped;
    nothing else is changed (a hyphen, a letter or a non-ASCII digit stays, and `parse_nik` /
    `is_nik_format` refuse it)."""
    return "".join(str(raw or "").split())


def is_nik_format(nik: str) -> bool:
    """16 ASCII digits (after normalize_nik): the shape, not the region or date checks."""
    return bool(_NIK_RE.match(nik))


def _birth_candidates(day: int, month: int, yy: int) -> list[dt.date]:
    found = []
    for century in (1900, 2000):
        try:
            found.append(dt.date(century + yy, month, day))
        except ValueError:
            pass
    return found


def parse_nik(raw: str, *, today: dt.date, declared_birth_date: dt.date | None = None) -> NikInfo:
    """Validate a NIK and derive birth date and sex; cross-check a declared birth date.

    The century is ambiguous in the NIK: the declared birth date decides it; without one,
    the latest date not after `today`.
    """
    nik = normalize_nik(raw)
    if not is_nik_format(nik):
        raise NikInvalid(_("A NIK has exactly 16 digits."))
    prefix = nik[:6]
    if regions.district(prefix) is None:
        raise NikInvalid(_("The NIK's region code %(prefix)s is unknown."), prefix=prefix)
    raw_day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    sex = "F" if raw_day > 40 else "M"
    day = raw_day - 40 if sex == "F" else raw_day
    candidates = _birth_candidates(day, month, yy)
    if not candidates:
        raise NikInvalid(_("The NIK's birth date digits are not a real date."))
    if nik[12:16] == "0000":
        raise NikInvalid(_("The NIK's serial number cannot be 0000."))
    if declared_birth_date is not None:
        if declared_birth_date not in candidates:
            raise NikInvalid(
                _("The birth date does not match the NIK (for women the day in the NIK is +40).")
            )
        if declared_birth_date > today:
            raise NikInvalid(_("The birth date is in the future."))
        birth = declared_birth_date
    else:
        past = [c for c in candidates if c <= today]
        if not past:
            raise NikInvalid(_("The NIK's birth date is in the future."))
        birth = max(past)
    return NikInfo(
        nik=nik,
        province_code=nik[:2],
        regency_code=nik[:4],
        district_code=prefix,
        birth_date=birth,
        sex=sex,
        serial=nik[12:16],
    )


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Completed years on `day` (someone born on 29 February ages on 1 March)."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


# The one NIK and phone mask (region and last two digits; first three and last two), kept
# with the log filter in core so that core needs nothing from here.
mask_nik = mask_nik_digits
mask_phone = mask_phone_digits
