from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingConfig(AppConfig):
    name = "loket.booking"
    label = "booking"
    verbose_name = _("Bookings")

    def ready(self):
        from loket.booking import config_cache
        from loket.booking.selectors import count_places_held
        from loket.capacity.integrity import register_holder

        register_holder("bookings", count_places_held)
        config_cache.connect_signals()
