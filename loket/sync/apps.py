from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SyncConfig(AppConfig):
    name = "loket.sync"
    label = "sync"
    verbose_name = _("Office nodes")

    def ready(self):
        from django.db.models.signals import post_save

        from loket.booking.lifecycle import BookingMoved, BookingStatusChanged
        from loket.core import events
        from loket.sync import listeners

        # The central site's feed: every booking change of an office, and its configuration.
        events.listen(BookingStatusChanged, listeners.booking_changed)
        events.listen(BookingMoved, listeners.booking_changed)
        for model in listeners.config_models():
            post_save.connect(
                listeners.config_saved, sender=model, dispatch_uid=f"loket.sync.{model.__name__}"
            )
