"""The fair release's waiting-room page (the applicant website): join with one of the
account's people, then see the place and turn."""

from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from loket.core.errors import DomainError
from loket.release import services
from loket.web import selectors
from loket.web.ratelimit import limited
from loket.web.views.common import office_and_channel, page, parse_day, verified_required


@verified_required
@limited("web_booking", per="account")
def room(request, office_code: str, channel_code: str, date: str):
    office, channel = office_and_channel(office_code, channel_code)
    day = parse_day(date)
    release = services.release_for(channel, day)
    if release is None:
        raise Http404
    people = selectors.list_applicants(request.user)
    errors = []
    if request.method == "POST":
        nik = next((p.nik for p in people if str(p.pk) == request.POST.get("applicant")), "")
        if not nik:
            errors.append(_("Choose the person you will book for."))
        else:
            try:
                services.join(account=request.user, channel=channel, day=day, nik=nik)
            except DomainError as exc:
                errors.append(str(exc))
            else:
                return redirect(request.path)
    place = services.my_place(account=request.user, channel=channel, day=day)
    context = {
        "office": office,
        "channel": channel,
        "day": day,
        "release": release,
        "place": place,
        "people": people,
        "extra_errors": errors,
        "estimate_minutes": (place.estimate_seconds + 59) // 60
        if place and place.estimate_seconds is not None
        else None,
    }
    return page(request, "release/room.html", context)
