from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QueueConfig(AppConfig):
    name = "loket.queue"
    label = "queue"
    verbose_name = _("The office day: check-in and queue")

    def ready(self):
        from django.contrib.auth.signals import user_logged_out

        from loket.capacity.integrity import register_holder
        from loket.core import personal_data
        from loket.queue.counter_sign_in import on_logout
        from loket.queue.personal_data import PERSONAL_DATA
        from loket.queue.selectors import count_places_held
        from loket.staff import portal

        register_holder("queue", count_places_held)
        personal_data.register(PERSONAL_DATA)
        user_logged_out.connect(on_logout, dispatch_uid="loket.queue.counter_sign_in")
        portal.register(*_portal_links())


def _portal_links():
    from loket.staff.portal import PortalLink

    day = "office_day"
    return (
        PortalLink(
            "queue:desk",
            _("Check-in at the information desk"),
            day,
            10,
            permissions=("desk.check_in",),
        ),
        PortalLink("queue:walk_in", _("Walk-in ticket"), day, 20, permissions=("desk.check_in",)),
        PortalLink(
            "queue:kiosk", _("Self-service kiosk"), day, 30, permissions=("kiosk.check_in",)
        ),
        PortalLink("queue:counters", _("Counters"), day, 40, permissions=("counter.serve",)),
        PortalLink("queue:bap", _("Examinations (BAP)"), day, 50, permissions=("counter.serve",)),
        PortalLink("queue:supervisor", _("Supervisor"), day, 60, permissions=("office.supervise",)),
        PortalLink("queue:pickup", _("Passport pickup"), day, 70, permissions=("issuance.pickup",)),
        PortalLink("queue:board", _("Display board"), day, 80),
        PortalLink(
            "queue:ledger", _("Ledger check"), "oversight", 30, permissions=("office.supervise",)
        ),
    )
