import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field

from loket.booking.schemas import PASSPORT_TYPES, PURPOSES, ApplicantIn


class ServiceDayOut(Schema):
    id: int
    name: str
    kind: str
    channel: str
    date: dt.date
    location: str
    status: str = Field(description="scheduled or moved (cancelled days are not listed)")
    application_types: list[str]
    capacity: int
    remaining: int


class ServiceDayBookingIn(Schema):
    application_type: Literal["new", "replacement"]
    purpose: PURPOSES
    passport_type: PASSPORT_TYPES
    applicant: ApplicantIn


class FieldErrorOut(Schema):
    field: str
    message: str


class RequestErrorOut(Schema):
    code: str
    detail: str
    errors: list[FieldErrorOut] = []


class OutreachRequestIn(Schema):
    office: str = Field(default="KRW", max_length=12)
    organisation: str = Field(max_length=200)
    contact_person: str = Field(max_length=150)
    email: str = Field(max_length=254)
    phone: str = Field(max_length=20)
    location: str = Field(max_length=300)
    regency: str = Field(max_length=8, description="Regency of the location, e.g. 32.15")
    preferred_dates: str = Field(
        max_length=40, description="One to three dates, comma-separated: 2027-01-12,2027-01-14"
    )
    expected_applicants: int = Field(ge=1, le=5000)


class OutreachRequestOut(Schema):
    code: str
    status: str
    participants: int
    preferred_dates: list[str]
