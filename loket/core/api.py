"""The account holder's own data (mounted at /api/v1/me)."""

from typing import Any

from django.http import JsonResponse
from ninja import Router, Schema

from loket.core.personal_data import export_personal_data

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
