from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WaitlistConfig(AppConfig):
    name = "loket.waitlist"
    label = "waitlist"
    verbose_name = _("Waiting lists")

    def ready(self):
        from loket.capacity.events import PlacesAdded, PlacesFreed
        from loket.capacity.integrity import register_holder
        from loket.core import events
        from loket.waitlist import services
        from loket.waitlist.selectors import count_places_held

        register_holder("waitlist_offers", count_places_held)
        # A freed or added place goes to the first person waiting for its day.
        events.listen(PlacesFreed, services.offer_on_places_freed)
        events.listen(PlacesAdded, services.offer_on_places_added)
