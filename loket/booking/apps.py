from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingConfig(AppConfig):
    name = "loket.booking"
    label = "booking"
    verbose_name = _("Bookings")

    def ready(self):
        from loket.booking import config_cache
        from loket.booking.personal_data import PERSONAL_DATA
        from loket.booking.selectors import count_places_held
        from loket.capacity.integrity import register_holder
        from loket.core import personal_data

        register_holder("bookings", count_places_held)
        config_cache.connect_signals()
        personal_data.register(PERSONAL_DATA)
