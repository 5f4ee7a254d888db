"""Refunds due: the page for an office's supervisors and office administrators, and the API.

Lists the payments the office holds without serving (see loket.booking.payments): notices that
could not be applied, second payments, and paid bookings cancelled afterwards (no-shows too when
LOKET_REFUND_NO_SHOWS is on); a refund made is recorded here, audited.
"""

import datetime as dt

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from ninja import Query, Router, Schema
from ninja.security import HttpBearer

from loket.accounts import services as accounts
from loket.booking import payments
from loket.core.errors import DomainError
from loket.core.errors import PermissionDenied as DomainPermissionDenied
from loket.identity.nik import mask_nik
from loket.offices.selectors import get_office
from loket.queue.permissions import SUPERVISOR_ROLES, roles_at, staff_required

REASONS = {
    "amount_mismatch": gettext_lazy("the amount differs from the bill"),
    "paid_twice": gettext_lazy("paid twice"),
    "cancelled": gettext_lazy("the booking was cancelled"),
    "place_taken": gettext_lazy("paid after the hold expired; its place was taken"),
    "day_passed": gettext_lazy("paid after the hold expired; the day has passed"),
    "nik_has_other_booking": gettext_lazy("paid after the hold expired; the NIK booked again"),
}


def _why(payment) -> str:
    if payment.outcome in ("applied", "late_confirmed"):
        return str(payment.booking.get_status_display())
    return str(REASONS.get(payment.reason, payment.reason))


@never_cache
@staff_required(*SUPERVISOR_ROLES)
def refunds_page(request, office_code):
    """Paid but not served: what the office must refund, and a button to record each refund."""
    office = request.office
    if request.method == "POST":
        raw = request.POST.get("payment", "")
        try:
            payments.mark_refunded(
                office=office,
                payment_id=int(raw) if raw.isdigit() else 0,
                officer=request.user,
                note=request.POST.get("note", ""),
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The refund is recorded."))
        return redirect("queue:refunds", office_code=office.code)
    due = payments.list_refunds_due(office=office)
    rows = [
        {
            "payment": p,
            "booking": p.booking,
            "name": p.booking.applicant.name,
            "nik": mask_nik(p.booking.nik),
            "why": _why(p),
        }
        for p in due
    ]
    return render(
        request,
        "queue/refunds.html",
        {"office": office, "rows": rows, "total": sum(p.amount for p in due)},
    )


# --- API -----------------------------------------------------------------------------------


class ErrorOut(Schema):
    code: str
    detail: str


class RefundOut(Schema):
    payment_id: int
    booking: str
    booking_status: str
    billing_code: str
    reference: str
    amount: int
    paid_at: dt.datetime
    received_at: dt.datetime
    outcome: str
    reason: str
    refunded_at: dt.datetime | None


class RefundsQuery(Schema):
    office: str
    include_refunded: bool = False


class RefundsForbidden(DomainPermissionDenied, code="refunds_forbidden"):
    message = "Refunds are for the supervisors and office administrators of the office."


class Bearer(HttpBearer):
    def authenticate(self, request, token):
        return accounts.user_for_token(token)


router = Router(tags=["payments"], auth=Bearer())


@router.get(
    "/refunds",
    response={200: list[RefundOut], 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def list_refunds(request, query: Query[RefundsQuery]):
    """Paid but not served at an office (its supervisors and office administrators): payments
    not applied (`refund_due`, `duplicate`) and applied payments of bookings cancelled since."""
    office = get_office(query.office)
    if not roles_at(request.auth, office) & set(SUPERVISOR_ROLES):
        raise RefundsForbidden()
    return [
        {
            "payment_id": p.pk,
            "booking": p.booking.code,
            "booking_status": p.booking.status,
            "billing_code": p.billing_code,
            "reference": p.reference,
            "amount": p.amount,
            "paid_at": p.paid_at,
            "received_at": p.received_at,
            "outcome": p.outcome,
            "reason": p.reason,
            "refunded_at": p.refunded_at,
        }
        for p in payments.list_refunds_due(office=office, include_refunded=query.include_refunded)
    ]
