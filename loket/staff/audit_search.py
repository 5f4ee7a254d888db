"""Audit search for supervisors: filter the audit trail (loket.core.audit), personal data
masked.

Supervisors and office administrators see the events of their offices (`?office=`); superusers
see every office and the system events without one."""

import datetime as dt
import zoneinfo
from functools import reduce
from operator import or_

from django import forms
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from loket.core.audit import audit_scopes, office_model
from loket.core.masking import mask_text, mask_value
from loket.core.models import AuditEvent

PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    office = forms.CharField(label=_("Office"), required=False, max_length=16)
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    end = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput({"type": "date"})
    )
    actor = forms.CharField(label=_("Who"), required=False, max_length=100)
    action = forms.CharField(label=_("Action"), required=False, max_length=64)
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=64)
    object_id = forms.CharField(label=_("Object"), required=False, max_length=64)


def audit_offices(user) -> list:
    """The offices whose audit trail `user` may search (the registered audit scopes)."""
    Office = office_model()
    if user.is_superuser:
        return list(Office.objects.order_by("code"))
    scopes = [Q(pk__in=scope(user)) for scope in audit_scopes()]
    if not scopes:
        return []
    return list(Office.objects.filter(reduce(or_, scopes)).order_by("code"))


def list_audit_events(*, offices, superuser: bool, data: dict):
    """Events visible to the caller, filtered by the cleaned form `data`, newest first."""
    events = AuditEvent.objects.select_related("office")
    code = (data.get("office") or "").upper()
    if code:
        events = events.filter(office__code=code)
    elif not superuser:
        events = events.filter(office__in=offices)
    # Dates are the office's local days (the project's zone when no office is chosen).
    office = office_model().objects.filter(code=code).first() if code else None
    tz = zoneinfo.ZoneInfo(office.time_zone if office else settings.TIME_ZONE)
    if data.get("start"):
        events = events.filter(at__gte=dt.datetime.combine(data["start"], dt.time.min, tz))
    if data.get("end"):
        end = dt.datetime.combine(data["end"] + dt.timedelta(days=1), dt.time.min, tz)
        events = events.filter(at__lt=end)
    if data.get("actor"):
        events = events.filter(actor_label__icontains=data["actor"])
    if data.get("action"):
        events = events.filter(action__icontains=data["action"])
    if data.get("object_type"):
        events = events.filter(object_type__iexact=data["object_type"])
    if data.get("object_id"):
        events = events.filter(object_id=data["object_id"])
    return events.order_by("-at", "-id")


@require_GET
def audit_search(request):
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("staff:login"))
    offices = audit_offices(user)
    if not offices:
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    code = (data.get("office") or "").upper()
    if code and code not in {o.code for o in offices}:
        raise PermissionDenied
    events = list_audit_events(offices=offices, superuser=user.is_superuser, data=data)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "event": e,
            "object_id": mask_text(e.object_id),
            "before": mask_value(e.before),
            "after": mask_value(e.after),
        }
        for e in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "staff/audit_search.html",
        {"form": form, "page": page, "rows": rows, "offices": offices, "query": query.urlencode()},
    )
