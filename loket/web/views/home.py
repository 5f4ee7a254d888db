from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse

from loket.offices.models import ChannelKind
from loket.web import selectors


def home(request):
    """Which channel fits the person's case, with each office's facts (quota, hotline)."""
    offices = []
    for office in selectors.search_offices(""):
        offices.append(
            {
                "office": office,
                "working_area": selectors.working_area_names(office),
                "priority_quota": selectors.channel_daily_quota(office, ChannelKind.PRIORITY),
                "hotline_tel": "".join(c for c in office.hotline if c.isdigit() or c == "+"),
            }
        )
    return render(
        request,
        "web/home.html",
        {
            "offices": offices,
            "outreach_url": _url_if_present("outreach:request_form"),
            "service_days_url": _url_if_present("outreach:service_days"),
        },
    )


def _url_if_present(name: str) -> str | None:
    """A link to a page of another part of the product, when that part is installed."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def favicon(request):
    """The site's icon for browsers that ask /favicon.ico (cached for a day)."""
    response = redirect(static("web/favicon.svg"), permanent=True)
    response["Cache-Control"] = "public, max-age=86400"
    return response
