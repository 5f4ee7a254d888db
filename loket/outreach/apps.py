from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    name = "loket.outreach"
    label = "outreach"
    verbose_name = _("Outreach, service days and emergencies")

    def ready(self):
        from loket.capacity.integrity import register_holder
        from loket.core import personal_data
        from loket.outreach.bridge import register_desk_codes
        from loket.outreach.personal_data import PERSONAL_DATA
        from loket.outreach.selectors import count_participant_places, count_walk_in_places
        from loket.staff import portal

        register_holder("walk_ins", count_walk_in_places)
        register_holder("outreach_participants", count_participant_places)
        personal_data.register(PERSONAL_DATA)
        # The information desk's code field checks DR... and EP... codes in (queue.bridge).
        register_desk_codes()
        portal.register(*_portal_links())


def _portal_links():
    from loket.staff.portal import PortalLink

    section = "outreach"
    return (
        PortalLink(
            "outreach:staff_requests",
            _("Eazy Passport requests"),
            section,
            10,
            permissions=("outreach.plan",),
            office_in="query",
        ),
        PortalLink(
            "outreach:team_calendar",
            _("Team calendar and service days"),
            section,
            20,
            permissions=("outreach.plan", "outreach.walk_in"),
            office_in="query",
        ),
        PortalLink(
            "outreach:hotline",
            _("Emergency hotline"),
            section,
            30,
            permissions=("outreach.hotline",),
            office_in="query",
        ),
        # The desk checks outreach codes in on its own page.
        PortalLink(
            "outreach:check_in",
            _("Check in by emergency or Eazy Passport code"),
            section,
            40,
            permissions=("outreach.check_in_case", "outreach.check_in_site"),
            office_in="query",
            unless=("desk.check_in",),
        ),
    )
