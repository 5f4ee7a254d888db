"""The booking journey, one thing per page: office, service, day, window, details, check, pay,
proof; and the account's bookings (cancel, reschedule). Every rule is the services' call."""

import datetime as dt
import json

import segno
from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from loket.booking import payments, proofs
from loket.booking import selectors as booking_selectors
from loket.booking import services as booking
from loket.booking.models import BookingStatus, Purpose
from loket.capacity.services import QuotaExhausted
from loket.core import clock
from loket.core.errors import DomainError
from loket.offices.models import ApplicationType, PassportType
from loket.release import services as fair_release
from loket.waitlist import selectors as waitlist_selectors
from loket.web import selectors
from loket.web.forms import BookingDetailsForm, OfficeSearchForm
from loket.web.ratelimit import limited
from loket.web.views.common import office_and_channel, page, parse_day, verified_required

DRAFT = "booking_draft"
# The statuses in which the proof page is a proof (QR code, "paid").
PROOF_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN)


def demo_payments_enabled() -> bool:
    """The "simulate payment" button: on unless in production (or switched off)."""
    return getattr(settings, "LOKET_DEMO_PAYMENTS", not settings.PRODUCTION)


def _parse_window(value: str) -> dt.time:
    try:
        return dt.datetime.strptime(value, "%H%M").time()
    except ValueError:
        raise Http404 from None


def _parse_month(value: str | None, default: dt.date) -> dt.date:
    try:
        return dt.datetime.strptime(value or "", "%Y-%m").date()
    except ValueError:
        return default.replace(day=1)


# --- Choosing office, service, day and window --------------------------------------------


def choose_office(request):
    form = OfficeSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    offices = [
        {"office": o, "working_area": selectors.working_area_names(o)}
        for o in selectors.search_offices(query)
    ]
    return render(
        request, "web/booking/choose_office.html", {"form": form, "offices": offices, "q": query}
    )


def choose_channel(request, office_code: str):
    office, _channel = office_and_channel(office_code)
    channels = selectors.bookable_channels(office)
    return render(
        request, "web/booking/choose_channel.html", {"office": office, "channels": channels}
    )


def _calendar_context(channel, month_param, day_url, *, link_full: bool = False) -> dict:
    """`link_full`: full days link to their page too (where one can join the waiting list)."""
    today = clock.local_today(channel.office.time_zone)
    month = _parse_month(month_param, today)
    cal = selectors.month_calendar(channel=channel, month=month)
    linked = ("open", "full") if link_full else ("open",)
    last = (cal.first + dt.timedelta(days=31)).replace(day=1) - dt.timedelta(days=1)
    closures = selectors.closure_names(office=channel.office, start=cal.first, end=last)
    weeks = [
        [
            None
            if d is None
            else {
                "day": d,
                "url": day_url(d.date) if d.status in linked else None,
                "closure": closures.get(d.date),
            }
            for d in week
        ]
        for week in cal.weeks
    ]
    return {"calendar": cal, "weeks": weeks, "closures": sorted(closures.items())}


def calendar(request, office_code: str, channel_code: str):
    office, channel = office_and_channel(office_code, channel_code)

    def day_url(day):
        return reverse("web:day", args=[office.code, channel.code, day.isoformat()])

    context = _calendar_context(channel, request.GET.get("month"), day_url, link_full=True)
    context.update(office=office, channel=channel, month_url=request.path, link_full=True)
    return render(request, "web/booking/calendar.html", context)


def day(request, office_code: str, channel_code: str, date: str):
    office, channel = office_and_channel(office_code, channel_code)
    day_ = parse_day(date)
    availability = selectors.day_availability(channel=channel, day=day_)
    windows = [
        {
            "window": w,
            "url": reverse(
                "web:details", args=[office.code, channel.code, date, w.start.strftime("%H%M")]
            ),
        }
        for w in availability.windows
    ]
    return render(
        request,
        "web/booking/day.html",
        {
            "office": office,
            "channel": channel,
            "availability": availability,
            "windows": windows,
            "room_url": _waiting_room_url(channel, day_),
            "closure": selectors.closure_names(office=office, start=day_, end=day_).get(day_),
        },
    )


def _waiting_room_url(channel, day: dt.date) -> str | None:
    """The waiting room's address while the day's release runs through one, else None."""
    release = fair_release.release_for(channel, day)
    if release is None or not release.is_on(clock.now()):
        return None
    return reverse("release:room", args=[channel.office.code, channel.code, day.isoformat()])


@verified_required
def details(request, office_code: str, channel_code: str, date: str, window: str):
    office, channel = office_and_channel(office_code, channel_code)
    day_ = parse_day(date)
    start = _parse_window(window)
    people = selectors.list_applicants(request.user)
    draft = request.session.get(DRAFT) or {}
    same_slot = draft.get("office") == office.code and draft.get("date") == date
    initial = (
        {k: draft.get(k) for k in ("application_type", "applicant", "purpose", "passport_type")}
        if same_slot
        else {}
    )
    form = BookingDetailsForm(
        request.POST if request.method == "POST" else None,
        channel=channel,
        applicants=people,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        request.session[DRAFT] = {
            "office": office.code,
            "channel": channel.code,
            "date": day_.isoformat(),
            "window": start.strftime("%H%M"),
            **form.cleaned_data,
        }
        return redirect("web:check")
    window_end = next(
        (
            w.end
            for w in selectors.day_availability(channel=channel, day=day_).windows
            if w.start == start
        ),
        None,
    )
    return page(
        request,
        "web/booking/details.html",
        {
            "form": form,
            "office": office,
            "channel": channel,
            "day": day_,
            "start": start,
            "end": window_end,
            "people": people,
            "add_person_url": reverse("web:applicant_add") + "?next=" + request.path,
        },
    )


def _draft_summary(request):
    draft = request.session.get(DRAFT)
    if not draft:
        return None
    office, channel = office_and_channel(draft["office"], draft["channel"])
    person = selectors.get_applicant(request.user, draft["applicant"])
    if person is None:
        return None
    day_ = dt.date.fromisoformat(draft["date"])
    start = _parse_window(draft["window"])
    window_end = next(
        (
            w.end
            for w in selectors.day_availability(channel=channel, day=day_).windows
            if w.start == start
        ),
        None,
    )
    return {
        "draft": draft,
        "office": office,
        "channel": channel,
        "person": person,
        "day": day_,
        "start": start,
        "end": window_end,
        "application_type_label": dict(ApplicationType.choices).get(draft["application_type"]),
        "purpose_label": dict(Purpose.choices).get(draft["purpose"]),
        "passport_type_label": dict(PassportType.choices).get(draft["passport_type"]),
        "details_url": reverse(
            "web:details", args=[office.code, channel.code, draft["date"], draft["window"]]
        ),
        "day_url": reverse("web:day", args=[office.code, channel.code, draft["date"]]),
        "calendar_url": reverse("web:calendar", args=[office.code, channel.code]),
    }


@verified_required
@limited("web_booking", per="account")
def check(request):
    """Check your answers; confirming holds the place and opens the payment."""
    summary = _draft_summary(request)
    if summary is None:
        messages.info(request, _("Start by choosing an office and a day."))
        return redirect("web:choose_office")
    extra_errors = []
    if request.method == "POST":
        draft, person = summary["draft"], summary["person"]
        try:
            made = booking.book_appointment(
                account=request.user,
                channel=summary["channel"],
                day=summary["day"],
                window_start=summary["start"],
                application_type=draft["application_type"],
                purpose=draft["purpose"],
                passport_type=draft["passport_type"],
                applicant=booking.ApplicantData(
                    nik=person.nik,
                    name=person.name,
                    birth_date=person.birth_date,
                    sex=person.sex,
                    phone=person.phone,
                    domicile_regency=person.domicile_regency,
                    married=person.married,
                ),
            )
        except DomainError as exc:
            extra_errors.append(str(exc))
            summary["error_code"] = exc.code
            if isinstance(exc, fair_release.AdmissionRequired):
                summary["room_url"] = _waiting_room_url(summary["channel"], summary["day"])
        else:
            request.session.pop(DRAFT, None)
            return redirect("web:pay", code=made.code)
    summary["extra_errors"] = extra_errors
    summary["quota_exhausted_code"] = QuotaExhausted.code
    summary["active_booking_code"] = booking.ActiveBookingExists.code
    return page(request, "web/booking/check.html", summary)


# --- After booking: pay, proof, the account's bookings -----------------------------------


def _account_booking(request, code: str):
    try:
        return booking.get_account_booking(account=request.user, code=code)
    except DomainError:
        raise Http404 from None


@verified_required
def pay(request, code: str):
    b = _account_booking(request, code)
    if b.application_number:
        return redirect("web:proof", code=b.code)
    seconds_left = max(0, int((b.pay_before - clock.now()).total_seconds()))
    return render(
        request,
        "web/booking/pay.html",
        {
            "booking": b,
            "seconds_left": seconds_left,
            "awaiting": b.status == BookingStatus.AWAITING_PAYMENT and seconds_left > 0,
            "demo_payments": demo_payments_enabled(),
        },
    )


@verified_required
def payment_status(request, code: str):
    """The payment page's live part (htmx polling): tells when the gateway has confirmed."""
    b = _account_booking(request, code)
    return render(request, "web/booking/payment_status.html", {"booking": b})


@require_POST
@verified_required
def simulate_payment(request, code: str):
    """Demo only: pay as the gateway would, through the same signed notice and service."""
    if not demo_payments_enabled():
        raise Http404
    b = _account_booking(request, code)
    if b.status != "awaiting_payment" or clock.now() > b.pay_before:
        # Like the real gateway, the simulator takes no payment for an expired billing code
        # (a payment that still arrives is recorded: see loket.booking.payments).
        messages.error(request, str(payments.BillingCodeExpired()))
        return redirect("web:pay", code=b.code)
    body = json.dumps(
        {"billing_code": b.billing_code, "amount": b.amount, "paid_at": clock.now().isoformat()}
    ).encode()
    try:
        booking.record_payment(body=body, signature=payments.sign_payment_notice(body))
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("web:pay", code=b.code)
    messages.success(request, _("Payment received. Your booking is confirmed."))
    return redirect("web:proof", code=b.code)


def _qr_svg(b) -> str:
    qr = segno.make(proofs.qr_payload(b), error="m")
    svg = qr.svg_inline(scale=4, title=_("QR code of booking %s") % b.code, svgclass="qr-code")
    return mark_safe(svg)  # noqa: S308 - generated by segno from a signed payload


@verified_required
def proof(request, code: str):
    b = _account_booking(request, code)
    if not b.application_number:
        return redirect("web:pay", code=b.code)
    # Only a booking the desk would still check in shows a QR code and "paid": a cancelled one
    # (or one that is over) says so, and nothing on it looks like a valid proof.
    valid = b.status in PROOF_STATUSES
    return render(
        request,
        "web/booking/proof.html",
        {
            "booking": b,
            "valid": valid,
            "qr_svg": _qr_svg(b) if valid else "",
            "generated_at": clock.now(),
        },
    )


@verified_required
def booking_detail(request, code: str):
    b = _account_booking(request, code)
    return redirect("web:proof" if b.application_number else "web:pay", code=b.code)


@verified_required
def my_bookings(request):
    rows = [
        {
            "booking": b,
            "has_proof": b.status in PROOF_STATUSES,
            "may_cancel": selectors.may_cancel(b),
            "reschedule_blocker": selectors.reschedule_blocker(b),
        }
        for b in booking_selectors.list_account_bookings(account=request.user)
    ]
    now = clock.now()
    entries = waitlist_selectors.list_account_entries(account=request.user)
    for entry in entries:
        if entry.offer_expires_at is not None:
            entry.seconds_left = max(0, int((entry.offer_expires_at - now).total_seconds()))
    return render(
        request,
        "web/booking/my_bookings.html",
        {
            "rows": rows,
            "entries": entries,
            "has_offers": any(e.status == "offered" for e in entries),
        },
    )


@verified_required
def cancel(request, code: str):
    b = _account_booking(request, code)
    extra_errors = []
    if request.method == "POST":
        try:
            booking.cancel_booking(account=request.user, code=b.code)
        except DomainError as exc:
            extra_errors.append(str(exc))
        else:
            messages.success(request, _("Booking %s is cancelled.") % b.code)
            return redirect("web:my_bookings")
    return page(
        request,
        "web/booking/cancel.html",
        {"booking": b, "may_cancel": selectors.may_cancel(b), "extra_errors": extra_errors},
    )


@verified_required
def reschedule(request, code: str):
    b = _account_booking(request, code)
    blocker = selectors.reschedule_blocker(b)
    context = {"booking": b, "blocker": blocker}
    if blocker is None:

        def day_url(day):
            return reverse("web:reschedule_day", args=[b.code, day.isoformat()])

        context.update(_calendar_context(b.channel, request.GET.get("month"), day_url))
        context["month_url"] = request.path
    return render(request, "web/booking/reschedule.html", context)


@verified_required
def reschedule_day(request, code: str, date: str):
    b = _account_booking(request, code)
    day_ = parse_day(date)
    extra_errors = []
    if request.method == "POST":
        raw = request.POST.get("window", "")
        try:
            start = dt.datetime.strptime(raw, "%H%M").time()
        except ValueError:
            extra_errors.append(_("Choose an arrival window."))
        else:
            try:
                booking.reschedule_booking(
                    account=request.user, code=b.code, day=day_, window_start=start
                )
            except DomainError as exc:
                extra_errors.append(str(exc))
            else:
                messages.success(request, _("Your booking is moved. This was your one reschedule."))
                return redirect("web:booking", code=b.code)
    availability = selectors.day_availability(channel=b.channel, day=day_)
    return page(
        request,
        "web/booking/reschedule_day.html",
        {
            "booking": b,
            "availability": availability,
            "blocker": selectors.reschedule_blocker(b),
            "extra_errors": extra_errors,
        },
    )
