"""The supervisor's page of the link's flags (at the central site and at the office node)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from loket.core.errors import DomainError
from loket.staff.permissions import staff_required
from loket.sync import flags as flag_services
from loket.sync.feed import is_office_node


def _shown(flag) -> dict:
    nik = (flag.detail or {}).get("nik", "")
    return {
        "flag": flag,
        # A flag keeps the NIK's last four digits; shown like every NIK here, the last two.
        "nik": "*" * 14 + nik[-2:] if nik else "",
    }


@never_cache
@staff_required("office.supervise")
def flags(request, office_code):
    """Open flags with what each means and a form to close it; recently closed ones below."""
    if request.method == "POST":
        try:
            flag_id = int(request.POST.get("flag", ""))
        except ValueError:
            flag_id = 0
        try:
            flag_services.close_flag(
                office=request.office,
                flag_id=flag_id,
                officer=request.user,
                note=request.POST.get("note", ""),
            )
        except DomainError as exc:
            messages.error(request, str(exc))
            status = exc.status
        else:
            messages.success(request, _("The case is closed."))
            return redirect("sync:flags", office_code=request.office.code)
    else:
        status = 200
    found = flag_services.list_flags(office=request.office)
    context = {
        "office": request.office,
        "open": [_shown(f) for f in found["open"]],
        "closed": [_shown(f) for f in found["closed"]],
        "node": is_office_node(),
    }
    return render(request, "sync/flags.html", context, status=status)
