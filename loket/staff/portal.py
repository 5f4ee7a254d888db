"""The staff portal's links: each app registers its pages in its AppConfig.ready().

The portal (the staff index) shows, per office, the links whose permission the account holds
there, grouped in sections. Staff knows no channel: the channels fill this registry.
"""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from loket.staff.permissions import roles_for

# Section key -> heading (None: the office day, shown first without a heading).
SECTIONS = {
    "office_day": None,
    "outreach": _("Outreach and emergencies"),
    "oversight": _("Oversight"),
}


@dataclass(frozen=True)
class PortalLink:
    url_name: str
    label: str
    section: str
    order: int
    # Shown when the account holds any of these at the office; empty: to every staff member.
    permissions: tuple[str, ...] = ()
    # The office as the URL's `office_code` ("path") or as `?office=` ("query").
    office_in: str = "path"
    # Not shown when one of these is held (another page offers the same already).
    unless: tuple[str, ...] = ()

    def url(self, office) -> str:
        if self.office_in == "path":
            return reverse(self.url_name, kwargs={"office_code": office.code})
        return reverse(self.url_name) + "?" + urlencode({"office": office.code})

    def shown_for(self, permissions: set[str]) -> bool:
        if self.unless and permissions & set(self.unless):
            return False
        return not self.permissions or bool(permissions & set(self.permissions))


_links: dict[str, PortalLink] = {}
# Predicates an app registers to withdraw links where their pages are not served (e.g. pages
# that stay on the central site, at an office node); asked each time the portal is drawn.
_withdrawn: list[Callable[[PortalLink], bool]] = []


def withdraw_when(predicate: Callable[[PortalLink], bool]) -> None:
    if predicate not in _withdrawn:
        _withdrawn.append(predicate)


def register(*links: PortalLink) -> None:
    """Add links to the portal (again under the same URL name: replaced, not doubled)."""
    for link in links:
        if link.section not in SECTIONS or link.office_in not in ("path", "query"):
            raise ValueError(f"Bad portal link: {link}")
        for name in link.permissions + link.unless:
            roles_for(name)
        _links[link.url_name] = link


def links() -> list[PortalLink]:
    order = list(SECTIONS)
    return sorted(_links.values(), key=lambda k: (order.index(k.section), k.order, k.url_name))


def sections_for(office, permissions: set[str]) -> list[dict]:
    """[{"heading", "links": [{"url", "label"}]}] for one office, empty sections left out."""
    grouped: dict[str, list[dict]] = {}
    for link in links():
        if link.shown_for(permissions) and not any(hidden(link) for hidden in _withdrawn):
            grouped.setdefault(link.section, []).append(
                {"url": link.url(office), "label": link.label}
            )
    return [
        {"heading": heading, "links": grouped[key]}
        for key, heading in SECTIONS.items()
        if key in grouped
    ]


def first_link_needing(permission: str) -> PortalLink | None:
    return next((link for link in links() if permission in link.permissions), None)


def register_own_links() -> None:
    register(
        PortalLink(
            "audit:search",
            _("Audit trail"),
            "oversight",
            20,
            permissions=("audit.view",),
            office_in="query",
        )
    )
