"""The waiting list on the website: join a full day; answer an offer; leave. Rules are the
waiting-list services' call; these views only parse, call and show the outcome."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from loket.core.errors import DomainError
from loket.waitlist import selectors as waitlist_selectors
from loket.waitlist import services as waitlist
from loket.web import selectors
from loket.web.forms import BookingDetailsForm
from loket.web.ratelimit import limited
from loket.web.views.common import office_and_channel, page, parse_day, verified_required


@verified_required
@limited("web_booking", per="account")
def join(request, office_code: str, channel_code: str, date: str):
    """Join a full day's waiting list for one of the account's people."""
    office, channel = office_and_channel(office_code, channel_code)
    day = parse_day(date)
    people = selectors.list_applicants(request.user)
    form = BookingDetailsForm(
        request.POST if request.method == "POST" else None, channel=channel, applicants=people
    )
    extra_errors = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            waitlist.join_waitlist(
                account=request.user,
                channel=channel,
                day=day,
                applicant_id=data["applicant"],
                application_type=data["application_type"],
                purpose=data["purpose"],
                passport_type=data["passport_type"],
            )
        except DomainError as exc:
            extra_errors.append(str(exc))
        else:
            messages.success(
                request,
                _("You are on the waiting list. We will e-mail you when a place is offered."),
            )
            return redirect(reverse("web:my_bookings") + "#waiting-lists")
    return page(
        request,
        "web/waitlist/join.html",
        {
            "form": form,
            "office": office,
            "channel": channel,
            "day": day,
            "people": people,
            "waiting": waitlist_selectors.count_waiting(channel=channel, day=day),
            "offer_hours": waitlist.offer_minutes() / 60,
            "add_person_url": reverse("web:applicant_add") + "?next=" + request.path,
            "extra_errors": extra_errors,
        },
    )


@require_POST
@verified_required
def accept(request, entry_id: int):
    """Accept an offer: book the held place, then pay as for any booking."""
    try:
        made = waitlist.accept_offer(account=request.user, entry_id=entry_id)
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect(reverse("web:my_bookings") + "#waiting-lists")
    messages.success(request, _("The place is yours. Pay before the deadline to confirm it."))
    return redirect("web:pay", code=made.code)


@require_POST
@verified_required
def decline(request, entry_id: int):
    try:
        waitlist.decline_offer(account=request.user, entry_id=entry_id)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The offer is declined; the place goes to the next person."))
    return redirect(reverse("web:my_bookings") + "#waiting-lists")


@require_POST
@verified_required
def leave(request, entry_id: int):
    try:
        waitlist.leave_waitlist(account=request.user, entry_id=entry_id)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("You have left the waiting list."))
    return redirect(reverse("web:my_bookings") + "#waiting-lists")
