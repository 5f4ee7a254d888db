import datetime as dt
import re
from typing import Literal

from django.utils.translation import gettext
from ninja import Schema
from pydantic import Field, field_validator

APPLICATION_TYPES = Literal["new", "replacement", "lost", "damaged"]
PURPOSES = Literal[
    "tourism",
    "umrah",
    "hajj",
    "work",
    "migrant_worker",
    "study",
    "medical",
    "apprenticeship",
    "family_visit",
    "business",
    "other",
]
PASSPORT_TYPES = Literal["ordinary", "electronic"]
_SEX_ALIASES = {"M": "M", "L": "M", "F": "F", "P": "F"}

# What the schema promises: the canonical forms. The server also takes the NIK with spaces,
# the sex in lower case and a window as H:MM, and never refuses what matches these.
NIK_PATTERN = "^[0-9]{16}$"
WINDOW_PATTERN = "^([01][0-9]|2[0-3]):[0-5][0-9]$"
SEX_VALUES = ["M", "F", "L", "P"]
BOOKING_STATUSES = Literal[
    "awaiting_payment", "confirmed", "checked_in", "completed", "cancelled", "expired", "no_show"
]


class ErrorOut(Schema):
    code: str
    detail: str


class ApplicantIn(Schema):
    nik: str = Field(
        min_length=1,
        max_length=32,
        description="The 16-digit NIK of the KTP or KK",
        json_schema_extra={"pattern": NIK_PATTERN, "examples": ["3215011205900001"]},
    )
    name: str = Field(min_length=1, max_length=150)
    birth_date: dt.date
    sex: str = Field(
        description="M or F (also L = laki-laki, P = perempuan); must agree with the NIK",
        max_length=1,
        json_schema_extra={"enum": SEX_VALUES},
    )
    phone: str = Field(min_length=1, max_length=20)
    domicile_regency: str = Field(
        description="Regency of the KTP address, e.g. 32.15 (Kab. Karawang)", max_length=8
    )
    married: bool = False

    @field_validator("sex")
    @classmethod
    def _sex(cls, value: str) -> str:
        sex = _SEX_ALIASES.get(value.strip().upper())
        if sex is None:
            raise ValueError(gettext("Use M or F (or L or P)."))
        return sex


_HH_MM = re.compile(r"[0-9]{2}:[0-9]{2}")


def parse_window(value: str) -> dt.time:
    # "HH:MM", the usual form, without strptime (0.03 ms, twice per booking request).
    if _HH_MM.fullmatch(value):
        hour, minute = int(value[:2]), int(value[3:])
        if hour < 24 and minute < 60:
            return dt.time(hour, minute)
    try:
        return dt.datetime.strptime(value, "%H:%M").time()
    except ValueError:
        raise ValueError(gettext("Use HH:MM, e.g. 08:00.")) from None


class BookingIn(Schema):
    office: str = Field(max_length=12)
    channel: str = Field(default="online", max_length=32)
    date: dt.date
    window: str = Field(
        description="Start of the arrival window, HH:MM",
        max_length=5,
        json_schema_extra={"pattern": WINDOW_PATTERN, "examples": ["08:00"]},
    )
    application_type: APPLICATION_TYPES
    purpose: PURPOSES
    passport_type: PASSPORT_TYPES
    applicant: ApplicantIn

    @field_validator("window")
    @classmethod
    def _window(cls, value: str) -> str:
        parse_window(value)
        return value


class RescheduleIn(Schema):
    date: dt.date
    window: str = Field(
        description="Start of the arrival window, HH:MM",
        max_length=5,
        json_schema_extra={"pattern": WINDOW_PATTERN, "examples": ["08:00"]},
    )

    @field_validator("window")
    @classmethod
    def _window(cls, value: str) -> str:
        parse_window(value)
        return value


class ApplicantOut(Schema):
    id: int
    name: str
    nik: str = Field(description="Masked: region and last two digits")
    birth_date: dt.date
    sex: Literal["M", "F"]
    domicile_regency: str


class BookingOut(Schema):
    code: str
    status: BOOKING_STATUSES
    office: str
    channel: str
    date: dt.date
    window: str = Field(json_schema_extra={"pattern": WINDOW_PATTERN})
    window_end: str = Field(json_schema_extra={"pattern": WINDOW_PATTERN})
    application_type: str
    purpose: str
    passport_type: str
    validity_years: int
    applicant: ApplicantOut
    billing_code: str
    amount: int = Field(description="Whole rupiah")
    pay_before: dt.datetime
    paid_at: dt.datetime | None
    application_number: str | None
    qr: str | None = Field(
        description="Signed QR payload while the booking is confirmed or checked in, else null"
    )
    reschedules_left: int


class PaymentNoticeIn(Schema):
    billing_code: str
    amount: int
    paid_at: dt.datetime
    reference: str | None = None


class PaymentOut(Schema):
    code: str
    status: str
    application_number: str | None
    outcome: str
    reference: str
