from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CapacityConfig(AppConfig):
    name = "loket.capacity"
    label = "capacity"
    verbose_name = _("Capacity ledger")

    def ready(self):
        from loket.capacity import services
        from loket.capacity.events import PlacesAdded, PlacesFreed
        from loket.core import events

        events.listen(PlacesFreed, services.clear_full_on_free)
        events.listen(PlacesAdded, services.clear_full_on_added)
