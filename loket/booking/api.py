import datetime as dt

from django.db import transaction
from ninja import Header, Router, Status

from loket.accounts import services as accounts
from loket.accounts.api import RateLimit
from loket.booking import config_cache, proofs, services
from loket.booking.models import Booking, BookingStatus
from loket.booking.schemas import (
    ApplicantIn,
    ApplicantOut,
    BookingIn,
    BookingOut,
    ErrorOut,
    PaymentNoticeIn,
    PaymentOut,
    RescheduleIn,
    parse_window,
)
from loket.booking.selectors import list_account_bookings
from loket.core import clock
from loket.core.errors import DomainError
from loket.core.json_body import parse_json_body
from loket.identity.nik import mask_nik, normalize_nik

router = Router(tags=["bookings"])
applicants_router = Router(tags=["accounts"])
payments_router = Router(tags=["payments"], auth=None)

ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 503: ErrorOut}


def applicant_out(applicant) -> dict:
    return {
        "id": applicant.pk,
        "name": applicant.name,
        "nik": mask_nik(applicant.nik),
        "birth_date": applicant.birth_date,
        "sex": applicant.sex,
        "domicile_regency": f"{applicant.domicile_regency[:2]}.{applicant.domicile_regency[2:]}",
    }


def booking_out(booking: Booking) -> dict:
    return {
        "code": booking.code,
        "status": booking.status,
        "office": booking.office.code,
        "channel": booking.channel.code,
        "date": booking.date,
        "window": f"{booking.window_start:%H:%M}",
        "window_end": f"{booking.window_end:%H:%M}",
        "application_type": booking.application_type,
        "purpose": booking.purpose,
        "passport_type": booking.passport_type,
        "validity_years": booking.validity_years,
        "applicant": applicant_out(booking.applicant),
        "billing_code": booking.billing_code,
        "amount": booking.amount,
        "pay_before": booking.pay_before,
        "paid_at": booking.paid_at,
        "application_number": booking.application_number,
        # The proof only while it is one: a cancelled or past booking has no QR code.
        "qr": proofs.qr_payload(booking)
        if booking.application_number
        and booking.status in (BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN)
        else None,
        "reschedules_left": 0
        if booking.status not in (BookingStatus.AWAITING_PAYMENT, BookingStatus.CONFIRMED)
        else 1 - booking.reschedule_count,
    }


def _json_ready(body: dict) -> dict:
    return {
        k: (v.isoformat() if isinstance(v, dt.date | dt.datetime) else v) for k, v in body.items()
    }


class NikRateLimit(RateLimit):
    """Counted per NIK in the booking body: many accounts cannot hammer for one person."""

    def get_cache_key(self, request) -> str | None:
        try:
            # The NIK as booking reads it (normalize_nik): spaces cannot make a new key.
            nik = normalize_nik(str(parse_json_body(request)["applicant"]["nik"]))[:16]
        except (ValueError, KeyError, TypeError, DomainError):
            # Not a booking body (too large, too deep, not JSON): the parser answers it.
            return None
        return self.cache_format % {"scope": self.scope, "ident": f"nik:{nik}"}


BOOKING_LIMITS = [
    RateLimit("api_booking", per="account"),
    NikRateLimit("api_booking_nik"),
    RateLimit("api_booking_ip"),
]


@router.post("", response={201: BookingOut, 429: ErrorOut, **ERRORS}, throttle=BOOKING_LIMITS)
def create_booking(request, payload: BookingIn, idempotency_key: str | None = Header(None)):
    """Hold a place for an applicant. The booking awaits payment until `pay_before`.

    Send an `Idempotency-Key` header to make retries safe: the same key replays the first answer.
    """
    channel = config_cache.channel_by_codes(payload.office, payload.channel)
    a = payload.applicant

    def book():
        booking = services.book_appointment(
            account=request.auth,
            channel=channel,
            day=payload.date,
            window_start=parse_window(payload.window),
            application_type=payload.application_type,
            purpose=payload.purpose,
            passport_type=payload.passport_type,
            applicant=services.ApplicantData(
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

    status, body = services.run_idempotent(
        account=request.auth, key=idempotency_key, payload=payload.dict(), action=book
    )
    return Status(status, body)


@router.get("", response={200: list[BookingOut], 401: ErrorOut})
def my_bookings(request):
    """The account's own bookings, newest first."""
    return [booking_out(b) for b in list_account_bookings(account=request.auth)]


@router.get("/{code}", response={200: BookingOut, 401: ErrorOut, 404: ErrorOut})
def booking_detail(request, code: str):
    return booking_out(services.get_account_booking(account=request.auth, code=code))


@router.post("/{code}/cancel", response={200: BookingOut, **ERRORS})
def cancel(request, code: str):
    """Cancel before the appointment day; the place is freed at once."""
    return booking_out(services.cancel_booking(account=request.auth, code=code))


@router.post("/{code}/reschedule", response={200: BookingOut, **ERRORS})
def reschedule(request, code: str, payload: RescheduleIn):
    """Move to another date and window: once, no later than the day before."""
    booking = services.reschedule_booking(
        account=request.auth, code=code, day=payload.date, window_start=parse_window(payload.window)
    )
    return booking_out(services.get_account_booking(account=request.auth, code=booking.code))


@payments_router.post("/notify", response={200: PaymentOut, **ERRORS})
def payment_notify(request, payload: PaymentNoticeIn, x_signature: str = Header("")):
    """The payment gateway's callback, signed with HMAC-SHA256 of the raw body (`X-Signature`).

    Every authentic notice is recorded and acknowledged (200) with its `outcome`: `applied`,
    `late_confirmed` (an expired hold whose place was still free), `refund_due` (cancelled,
    place gone, wrong amount) or `duplicate` (paid twice). The same `reference` (default: the
    billing code) again gives the same answer."""
    booking = services.record_payment(body=request.body, signature=x_signature)
    payment = booking.last_payment
    return {
        "code": booking.code,
        "status": booking.status,
        "application_number": booking.application_number,
        "outcome": payment.outcome,
        "reference": payment.reference,
    }


@applicants_router.get("", response={200: list[ApplicantOut], 401: ErrorOut})
def applicants(request):
    """The people this account applies for (at most 5)."""
    return [applicant_out(a) for a in request.auth.applicants.order_by("position")]


@applicants_router.post("", response={201: ApplicantOut, **ERRORS})
def add_applicant(request, payload: ApplicantIn):
    """Add a person (or update the one with this NIK)."""
    with transaction.atomic():
        applicant = accounts.save_applicant(
            account=request.auth,
            nik=payload.nik,
            name=payload.name,
            birth_date=payload.birth_date,
            sex=payload.sex,
            phone=payload.phone,
            domicile_regency=payload.domicile_regency,
            married=payload.married,
            today=clock.local_today("Asia/Jakarta"),
        )
    return Status(201, applicant_out(applicant))
