"""The account holder's own data (mounted at /api/v1/me)."""

from typing import Any

from django.http import JsonResponse
from ninja import Router, Schema
from pydantic import Field

from loket.core.personal_data import close_account, export_personal_data

router = Router(tags=["personal data"])


class ErrorOut(Schema):
    code: str
    detail: str


class PersonalDataOut(Schema):
    exported_at: str
    account: dict[str, Any]
    applicants: list[dict[str, Any]]
    bookings: list[dict[str, Any]]
    waitlist_entries: list[dict[str, Any]]
    queue_tickets: list[dict[str, Any]]
    outreach_participants: list[dict[str, Any]]
    emergency_cases: list[dict[str, Any]]
    release_waiting_room: list[dict[str, Any]]
    identity_records: list[dict[str, Any]]
    audit_events: list[dict[str, Any]]


@router.get("/data", response={200: PersonalDataOut, 401: ErrorOut})
def my_data(request):
    """Download everything held about your account as JSON: the account, the people you apply
    for, their bookings and payments, your waiting-list entries, the queue tickets (with
    passport pickup), Eazy Passport list rows and emergency hotline cases of your people (by
    their NIK), and the audit events about them (UU 27/2022)."""
    response = JsonResponse(export_personal_data(account=request.auth))
    response["Content-Disposition"] = 'attachment; filename="loket-data-saya.json"'
    response["Cache-Control"] = "no-store"
    return response


class CloseIn(Schema):
    password: str = Field(max_length=128)


@router.post(
    "/close",
    response={204: None, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def close_my_account(request, body: CloseIn):
    """Close your account (confirm with your password): the login, e-mail and name are removed,
    every token is revoked and your people are anonymised; the bookings stay as the office's
    records without a name. Refused (409 `account_has_open_cases`) while a booking is active
    or a waiting-list entry is open; 403 `wrong_password` or `staff_account`."""
    close_account(account=request.auth, password=body.password)
    return 204, None
