"""Staff pages of the office day and the hall's display board. Views parse, call a service and
render; every rule lives in services.py and domain.py."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from loket.capacity.integrity import check_ledger, list_slot_rows
from loket.core import clock, ratelimit
from loket.core.errors import DomainError
from loket.identity.nik import mask_nik
from loket.offices.models import Office
from loket.offices.selectors import office_closed_reason
from loket.queue import (
    bridge,
    counter_actions,
    counter_sign_in,
    errors,
    issuance,
    nik_release,
    office_setup,
    selectors,
    walk_ins,
)
from loket.queue import check_in as queue_check_in
from loket.queue.forms import (
    CheckInForm,
    FindBookingForm,
    KioskForm,
    LedgerRangeForm,
    PickupForm,
    ReleaseNikForm,
    WalkInForm,
)
from loket.queue.models import BapCase, Counter, LaneKind, Stage
from loket.staff.permissions import staff_required


def _error(request, exc: DomainError) -> None:
    messages.error(request, str(exc))


# --- desk -----------------------------------------------------------------------------------


@staff_required("desk.check_in")
def desk(request, office_code):
    """Check-in: find what the code names (typed or scanned: a booking, an emergency case or an
    Eazy Passport participant), then confirm the KTP's NIK."""
    office = request.office
    arrival = None
    find = FindBookingForm(request.GET or None)
    confirm = None
    if find.is_bound and find.is_valid():
        try:
            arrival = bridge.find_arrival(office=office, code=find.cleaned_data["code"])
        except DomainError as exc:
            find.add_error("code", str(exc))
        else:
            refusal = arrival.booking and queue_check_in.void_booking_refusal(arrival.booking)
            if refusal:  # said at once: no NIK to type for a booking that is void
                find.add_error("code", str(refusal))
                arrival = None
            else:
                confirm = CheckInForm(initial={"code": arrival.code})
    return _desk_page(request, find=find, arrival=arrival, confirm=confirm)


def _desk_page(request, *, find, arrival, confirm, status=200):
    office = request.office
    return render(
        request,
        "queue/desk.html",
        {
            "office": office,
            "find": find,
            "arrival": arrival,
            "booking": arrival.booking if arrival else None,
            "masked_nik": mask_nik(arrival.nik) if arrival and arrival.nik else "",
            "confirm": confirm,
            "recent": selectors.list_today_tickets(office=office, limit=8),
            "closed_today": _closed_today(office),
        },
        status=status,
    )


@never_cache
@staff_required("desk.check_in")
def release_nik(request, office_code):
    """The KTP's owner is here and another account holds their NIK: release that place."""
    form = ReleaseNikForm(request.POST or None)
    released = None
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            released = nik_release.release_nik(
                office=request.office,
                nik=form.cleaned_data["nik"],
                name=form.cleaned_data["name"],
                birth_date=form.cleaned_data["birth_date"],
                officer=request.user,
            )
        except DomainError as exc:
            form.add_error("nik", str(exc))
            status = 409
    elif request.method == "POST":
        status = 422
    return render(
        request,
        "queue/release_nik.html",
        {"office": request.office, "form": form, "released": released},
        status=status,
    )


def _closed_today(office) -> str | None:
    """Why the office is closed today (shown on the desk and walk-in pages), or None."""
    return office_closed_reason(office, clock.local_today(office.time_zone))


@require_POST
@staff_required("desk.check_in")
def check_in(request, office_code):
    office = request.office
    form = CheckInForm(request.POST)
    if not form.is_valid():
        return redirect("queue:desk", office_code=office.code)
    try:
        ticket = bridge.check_in_at_desk(
            office=office,
            code=form.cleaned_data["code"],
            confirmed_nik=form.cleaned_data["nik"],
            officer=request.user,
        )
    except DomainError as exc:
        try:
            arrival = bridge.find_arrival(office=office, code=form.cleaned_data["code"])
        except DomainError:
            _error(request, exc)
            return redirect("queue:desk", office_code=office.code)
        form.add_error("nik" if isinstance(exc, errors.NikMismatch) else None, str(exc))
        return _desk_page(
            request,
            find=FindBookingForm(initial={"code": arrival.code}),
            arrival=arrival,
            confirm=form,
            status=exc.status if exc.status < 500 else 400,
        )
    return render(request, "queue/ticket_issued.html", {"office": office, "ticket": ticket})


KIOSK_RATE = "30/m"  # a kiosk serves a few people a minute; more looks like guessing NIKs


def _kiosk_rate_limited(request) -> bool:
    if request.method != "POST" or not settings.LOKET_RATE_LIMITS_ENABLED:
        return False
    rate = settings.LOKET_RATE_LIMITS.get("queue_kiosk", KIOSK_RATE)
    return ratelimit.hit([(f"queue_kiosk:account:{request.user.pk}", rate)]) is not None


@never_cache
@staff_required("kiosk.check_in")
def kiosk(request, office_code):
    """Self-service check-in on a kiosk machine: the applicant scans the QR (or types the
    application number) and types the NIK from their KTP; the ticket number is shown big."""
    office = request.office
    form = KioskForm(request.POST or None)
    if _kiosk_rate_limited(request):
        form.is_valid()
        form.add_error(None, _("Too many tries. Wait a minute, or go to the information desk."))
        return render(request, "queue/kiosk.html", {"office": office, "form": form}, status=429)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = queue_check_in.check_in_at_kiosk(
                office=office,
                code=form.cleaned_data["code"],
                nik=form.cleaned_data["nik"],
                kiosk=request.user,
            )
        except DomainError as exc:
            form = KioskForm()  # the next person starts from empty fields
            form.kiosk_error = str(exc)
            return render(
                request, "queue/kiosk.html", {"office": office, "form": form}, status=exc.status
            )
        return render(request, "queue/kiosk_done.html", {"office": office, "ticket": ticket})
    status = 422 if form.is_bound and form.errors else 200
    return render(request, "queue/kiosk.html", {"office": office, "form": form}, status=status)


@staff_required("desk.check_in")
def walk_in(request, office_code):
    office = request.office
    form = WalkInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = walk_ins.issue_walk_in_ticket(
                office=office,
                lane_kind=form.cleaned_data["lane"],
                name=form.cleaned_data["name"],
                nik=form.cleaned_data["nik"],
                birth_date=form.cleaned_data["birth_date"],
                attested=form.attested,
                officer=request.user,
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return render(request, "queue/ticket_issued.html", {"office": office, "ticket": ticket})
    status = 422 if form.is_bound and form.errors else 200
    return render(
        request,
        "queue/walk_in.html",
        {"office": office, "form": form, "closed_today": _closed_today(office)},
        status=status,
    )


# --- counters -------------------------------------------------------------------------------


@staff_required("counter.serve")
def counters(request, office_code):
    office = request.office
    return render(
        request,
        "queue/counters.html",
        {
            "office": office,
            "counters": Counter.objects.filter(office=office, is_active=True).prefetch_related(
                "stages", "lanes"
            ),
        },
    )


def _counter(office, number) -> Counter:
    return get_object_or_404(
        Counter.objects.select_related("office"), office=office, number=number, is_active=True
    )


def _counter_context(request, counter: Counter) -> dict:
    ticket = counter_actions.current_ticket(counter)
    booking = ticket.booking if ticket and ticket.booking_id else None
    nik = ticket.applicant_nik if ticket else ""
    bap = BapCase.objects.filter(ticket=ticket).first() if ticket else None
    show_nik = "counter.see_nik" in request.staff_permissions
    held = counter_sign_in.current_sign_in(counter)
    needs_bap = ticket is not None and ticket.lane.kind == LaneKind.LOST_DAMAGED and bap is None
    return {
        "bap_days": selectors.list_bap_days(office=counter.office) if needs_bap else [],
        "office": counter.office,
        "counter": counter,
        "ticket": ticket,
        "booking": booking,
        "bap": bap,
        "nik": nik if show_nik else mask_nik(nik) if nik else "",
        "waiting": selectors.list_waiting_for_counter(counter=counter),
        "parked": selectors.list_parked(office=counter.office, counter=counter),
        "stages": Stage.objects.filter(office=counter.office, is_final=False).order_by("order"),
        "sign_in": held,
        "signed_in": held is not None and held.officer_id == request.user.pk,
        "may_take_over": "counter.take_over" in request.staff_permissions,
        # "Did not come" only after the set number of recalls: shown disabled until then.
        "recalls_left": max(
            0,
            office_setup.get_queue_settings(counter.office).recalls_before_no_show
            - (ticket.recall_count if ticket else 0),
        ),
    }


@never_cache
@staff_required("counter.serve")
def counter_page(request, office_code, number):
    counter = _counter(request.office, number)
    if not request.htmx:  # opening the page is activity; the panel's polling is not
        counter_sign_in.touch(counter=counter, officer=request.user)
    template = "queue/_counter_panel.html" if request.htmx else "queue/counter.html"
    return render(request, template, _counter_context(request, counter))


COUNTER_ACTIONS = {
    "call": counter_actions.call_next_ticket,
    "recall": counter_actions.recall_ticket,
    "start": counter_actions.start_service,
    "complete": counter_actions.complete_ticket,
    "no-show": counter_actions.mark_no_show,
    "park": counter_actions.park_ticket,
    "transfer": counter_actions.transfer_ticket,
    "bap": issuance.schedule_bap,
}


@require_POST
@staff_required("counter.serve")
def counter_action(request, office_code, number, action):
    counter = _counter(request.office, number)
    service = COUNTER_ACTIONS.get(action)
    if service is None:
        raise Http404
    kwargs = {"counter": counter, "officer": request.user}
    if action == "transfer":
        kwargs["stage_code"] = request.POST.get("stage", "")
    if action == "bap":
        try:
            day = parse_date(request.POST.get("bap_date", "") or "")
        except ValueError:  # well formed but not a real date
            day = None
        kwargs["day"] = day or dt.date.min
    if action != "call" and request.POST.get("ticket"):
        kwargs["ticket_id"] = int(request.POST["ticket"]) if request.POST["ticket"].isdigit() else 0
    error = None
    try:
        # Only the officer signed in to this counter operates it.
        counter_sign_in.require_signed_in(counter=counter, officer=request.user)
        service(**kwargs)
    except DomainError as exc:
        error = str(exc)
    if request.htmx:
        context = _counter_context(request, counter)
        context["error"] = error
        return render(request, "queue/_counter_panel.html", context)
    if error:
        messages.error(request, error)
    return redirect("queue:counter", office_code=request.office.code, number=counter.number)


@require_POST
@staff_required("counter.serve")
def counter_sign_in_view(request, office_code, number):
    """Sign in to this counter; a supervisor may take over one held by another officer."""
    counter = _counter(request.office, number)
    try:
        counter_sign_in.sign_in(
            counter=counter,
            officer=request.user,
            take_over=request.POST.get("take_over") == "1",
            may_take_over="counter.take_over" in request.staff_permissions,
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("queue:counter", office_code=request.office.code, number=counter.number)


@require_POST
@staff_required("counter.serve")
def counter_sign_out_view(request, office_code, number):
    counter = _counter(request.office, number)
    counter_sign_in.sign_out(counter=counter, officer=request.user)
    return redirect("queue:counters", office_code=request.office.code)


@require_POST
@staff_required("ticket.return")
def return_ticket(request, office_code, ticket_id):
    try:
        counter_actions.return_ticket(
            office=request.office, ticket_id=ticket_id, officer=request.user
        )
    except DomainError as exc:
        _error(request, exc)
    back = request.POST.get("next", "")
    if back.startswith("/office/"):
        return redirect(back)
    return redirect("queue:counters", office_code=request.office.code)


# --- supervisor and pickup ------------------------------------------------------------------


@never_cache
@staff_required("office.supervise")
def supervisor(request, office_code):
    context = {
        "office": request.office,
        "queue_settings": office_setup.get_queue_settings(request.office),
        **selectors.floor_state(office=request.office),
    }
    template = "queue/_floor.html" if request.htmx else "queue/supervisor.html"
    return render(request, template, context)


@require_POST
@staff_required("office.supervise")
def release_priority(request, office_code):
    try:
        moved = walk_ins.release_unclaimed_priority(office=request.office, officer=request.user)
    except DomainError as exc:
        _error(request, exc)
    else:
        messages.success(
            request, _("%(n)s unclaimed priority places were released.") % {"n": moved}
        )
    return redirect("queue:supervisor", office_code=request.office.code)


LEDGER_DAYS_BACK = 30
LEDGER_DAYS_AHEAD = 90
# The holders registered with the ledger check (capacity.integrity.register_holder).
HOLDER_LABELS = {
    "bookings": gettext_lazy("bookings"),
    "queue": gettext_lazy("walk-in tickets and examinations (BAP)"),
    "walk_ins": gettext_lazy("weekend walk-ins (Simpatik)"),
    "outreach_participants": gettext_lazy("Eazy Passport participants"),
    "waitlist_offers": gettext_lazy("waiting-list offers"),
}


@never_cache
@staff_required("office.supervise")
def ledger(request, office_code):
    """The ledger integrity check of this office (as `manage.py check_ledger --office`): every
    slot's places taken against the bookings, tickets, examinations, participants and offers
    holding them. By default from 30 days ago to 90 days ahead."""
    office = request.office
    today = clock.local_today(office.time_zone)
    data = request.GET.copy()
    data.setdefault("start", (today - dt.timedelta(days=LEDGER_DAYS_BACK)).isoformat())
    data.setdefault("end", (today + dt.timedelta(days=LEDGER_DAYS_AHEAD)).isoformat())
    form = LedgerRangeForm(data)
    result = None
    drifts = []
    if form.is_valid():
        result = check_ledger(
            office_code=office.code,
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
        )
        rows = list_slot_rows(d.slot_id for d in result.drifts)
        drifts = [
            {
                "drift": d,
                "holders": [
                    (HOLDER_LABELS.get(name, name), n) for name, n in sorted(d.by_holder.items())
                ],
                "rows": rows.get(d.slot_id, []),
            }
            for d in result.drifts
        ]
    return render(
        request,
        "queue/ledger.html",
        {"office": office, "form": form, "result": result, "drifts": drifts},
    )


@staff_required("counter.serve")
def bap_cases(request, office_code):
    office = request.office
    if request.method == "POST":
        case_id = request.POST.get("case", "")
        try:
            case = issuance.approve_bap(
                office=office,
                case_id=int(case_id) if case_id.isdigit() else 0,
                officer=request.user,
            )
        except DomainError as exc:
            _error(request, exc)
        else:
            messages.success(
                request,
                _("Approved. Come back for photos on %(date)s.")
                % {"date": f"{case.photo_date:%d-%m-%Y}"},
            )
        return redirect("queue:bap", office_code=office.code)
    return render(
        request,
        "queue/bap.html",
        {"office": office, **selectors.list_bap_cases(office=office)},
    )


@staff_required("issuance.pickup")
def pickup(request, office_code):
    office = request.office
    form = PickupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issuance.record_pickup(
                office=office,
                issuance_id=form.cleaned_data["issuance"],
                picked_up_by=form.cleaned_data["picked_up_by"],
                collector_name=form.cleaned_data["collector_name"],
                collector_document=form.cleaned_data["collector_document"],
                officer=request.user,
            )
        except DomainError as exc:
            _error(request, exc)
        else:
            messages.success(request, _("The handover is recorded."))
        return redirect("queue:pickup", office_code=office.code)
    ready = selectors.list_ready_passports(office=office)
    return render(
        request,
        "queue/pickup.html",
        {
            "office": office,
            "ready": ready,
            "uncollected": selectors.list_uncollected(office=office),
            "choices": PickupForm.base_fields["picked_up_by"].choices,
        },
    )


# --- the display board (public: numbers only) -----------------------------------------------


def _board_office(office_code) -> Office:
    return get_object_or_404(Office, code=office_code.upper(), is_active=True)


@never_cache
def board(request, office_code):
    office = _board_office(office_code)
    return render(
        request,
        "queue/board.html",
        {"office": office, "state": selectors.board_state(office=office)},
    )


@never_cache
def board_data(request, office_code):
    office = _board_office(office_code)
    return JsonResponse(selectors.board_state(office=office))
