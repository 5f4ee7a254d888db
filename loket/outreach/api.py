"""Outreach API (mounted at /api/v1/outreach): service days and Eazy Passport requests."""

import datetime as dt

from ninja import File, Form, Header, Router, Status
from ninja.files import UploadedFile

from loket.booking import services as booking_services
from loket.booking.api import ERRORS, _json_ready, booking_out
from loket.booking.schemas import BookingOut, ErrorOut
from loket.offices.selectors import get_office
from loket.outreach import eazy_passport, errors, selectors, service_days
from loket.outreach.domain import CSV_MAX_BYTES
from loket.outreach.schemas import (
    OutreachRequestIn,
    OutreachRequestOut,
    RequestErrorOut,
    ServiceDayBookingIn,
    ServiceDayOut,
)

router = Router(tags=["outreach"])


@router.get("/service-days", response={200: list[ServiceDayOut], 404: ErrorOut}, auth=None)
def list_service_days(request, office: str = "KRW", kind: str = "event"):
    """Upcoming service days (PATEN and others) with the places left."""
    days = selectors.list_upcoming_service_days(office=get_office(office), kind=kind)
    return [
        {
            "id": d.occurrence.pk,
            "name": d.occurrence.rule.name,
            "kind": d.occurrence.rule.kind,
            "channel": d.occurrence.channel.code,
            "date": d.occurrence.date,
            "location": d.occurrence.location,
            "status": d.occurrence.status,
            "application_types": d.occurrence.rule.application_types,
            "capacity": d.capacity,
            "remaining": d.remaining,
        }
        for d in days
    ]


@router.post("/service-days/{day_id}/bookings", response={201: BookingOut, **ERRORS})
def book_service_day(
    request, day_id: int, payload: ServiceDayBookingIn, idempotency_key: str | None = Header(None)
):
    """Book a place at a service day through the booking engine (payment hold as online)."""
    occurrence = service_days.get_occurrence(day_id)
    a = payload.applicant

    def book():
        booking = service_days.book_service_day(
            account=request.auth,
            occurrence=occurrence,
            application_type=payload.application_type,
            purpose=payload.purpose,
            passport_type=payload.passport_type,
            applicant=booking_services.ApplicantData(
                nik=a.nik,
                name=a.name,
                birth_date=a.birth_date,
                sex=a.sex,
                phone=a.phone,
                domicile_regency=a.domicile_regency,
                married=a.married,
            ),
        )
        body = booking_out(booking)
        body["applicant"] = _json_ready(body["applicant"])
        return 201, _json_ready(body)

    status, body = booking_services.run_idempotent(
        account=request.auth,
        key=idempotency_key,
        payload={"service_day": day_id, **payload.dict()},
        action=book,
    )
    return Status(status, body)


@router.post(
    "/requests",
    response={201: OutreachRequestOut, 404: ErrorOut, 422: RequestErrorOut},
    auth=None,
)
def submit_request(request, payload: Form[OutreachRequestIn], participants: File[UploadedFile]):
    """An institution asks for an Eazy Passport visit, with the participant CSV
    (columns nik, name, birth_date, application_type). All errors come back at once."""
    office = get_office(payload.office)
    try:
        dates = [
            dt.date.fromisoformat(x.strip())
            for x in payload.preferred_dates.split(",")
            if x.strip()
        ]
    except ValueError:
        return Status(
            422,
            {
                "code": "invalid_input",
                "detail": "preferred_dates: use YYYY-MM-DD, comma-separated",
                "errors": [{"field": "preferred_dates", "message": "use YYYY-MM-DD"}],
            },
        )
    try:
        created = eazy_passport.submit_outreach_request(
            office=office,
            data=eazy_passport.RequestData(
                organisation=payload.organisation,
                contact_person=payload.contact_person,
                email=payload.email,
                phone=payload.phone,
                location=payload.location,
                regency=payload.regency,
                preferred_dates=dates,
                expected_applicants=payload.expected_applicants,
            ),
            participants_file=participants.read(CSV_MAX_BYTES + 1),
        )
    except errors.RequestInvalid as exc:
        return Status(
            422,
            {
                "code": exc.code,
                "detail": str(exc.detail),
                "errors": [{"field": f, "message": m} for f, m in exc.errors],
            },
        )
    return Status(
        201,
        {
            "code": created.code,
            "status": created.status,
            "participants": created.participants.count(),
            "preferred_dates": created.preferred_dates,
        },
    )
