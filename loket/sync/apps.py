from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SyncConfig(AppConfig):
    name = "loket.sync"
    label = "sync"
    verbose_name = _("Office nodes")

    def ready(self):
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from loket.booking.lifecycle import BookingMoved, BookingStatusChanged
        from loket.core import events
        from loket.outreach.events import EmergencyCaseChanged
        from loket.staff.layout import register_banner
        from loket.staff.portal import PortalLink, register, withdraw_when
        from loket.sync import listeners
        from loket.sync.middleware import central_only_link
        from loket.sync.templatetags.sync import sync_banner

        register(
            PortalLink(
                "sync:flags",
                _("Cases from the link with the central site"),
                "oversight",
                40,
                permissions=("office.supervise",),
            )
        )

        # At a node, outreach's pages answer 503 (central only): the portal does not offer them.
        withdraw_when(central_only_link)

        # The central site's feed: every booking change of an office, and its configuration.
        events.listen(BookingStatusChanged, listeners.booking_changed)
        events.listen(BookingMoved, listeners.booking_changed)
        events.listen(EmergencyCaseChanged, listeners.emergency_case_changed)
        if settings.LOKET_ROLE == "office":
            # The central site's duties are not a node's: its holds, reminders and offers are
            # the central site's (a node would remind people twice).
            from loket.notifications.jobs import Job, register_job

            for name in ("expire_holds", "reminders", "expire_offers"):
                register_job(name, Job(lambda: 0, 99, None))
        for model in listeners.config_models():
            uid = f"loket.sync.{model.__name__}"
            post_save.connect(listeners.config_saved, sender=model, dispatch_uid=uid)
            post_delete.connect(listeners.config_saved, sender=model, dispatch_uid=uid)
        post_save.connect(
            listeners.staff_account_saved, sender=get_user_model(), dispatch_uid="loket.sync.user"
        )
        from django_otp.plugins.otp_totp.models import TOTPDevice

        for signal in (post_save, post_delete):
            signal.connect(
                listeners.two_factor_device_changed,
                sender=TOTPDevice,
                dispatch_uid="loket.sync.totpdevice",
            )
        # Every staff page says when the office node lost the central site.
        register_banner("sync", template="sync/banner.html", context=sync_banner)
