import datetime as dt

from ninja import Schema
from pydantic import Field


class WaitlistJoinIn(Schema):
    office: str = Field(max_length=10)
    channel: str = Field(default="online", max_length=20)
    date: dt.date
    applicant_id: int = Field(description="One of the account's people: GET /applicants")
    application_type: str = Field(default="new", max_length=12)
    purpose: str = Field(max_length=16)
    passport_type: str = Field(default="ordinary", max_length=12)


class OfferOut(Schema):
    window: str
    window_end: str
    offered_at: dt.datetime
    expires_at: dt.datetime = Field(description="Accept before this moment, or it passes on")


class EntryOut(Schema):
    id: int
    status: str = Field(description="waiting, offered, accepted, declined, expired, left, closed")
    office: str
    channel: str
    date: dt.date
    applicant_id: int | None = Field(description="None once the person was removed")
    applicant_name: str
    position: int | None = Field(description="Place in line while waiting (1 = next)")
    offer: OfferOut | None
    booking: str | None = Field(description="The booking code, once an offer was accepted")
    joined_at: dt.datetime
