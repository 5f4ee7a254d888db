from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WaitlistConfig(AppConfig):
    name = "loket.waitlist"
    label = "waitlist"
    verbose_name = _("Waiting lists")

    def ready(self):
        from loket.accounts.holders import ApplicantHolder, register_applicant_holder
        from loket.capacity.events import PlacesAdded, PlacesFreed
        from loket.capacity.integrity import register_holder
        from loket.core import events, personal_data
        from loket.notifications.jobs import Job, register_job
        from loket.waitlist import personal_data as waitlist_data
        from loket.waitlist import services
        from loket.waitlist.personal_data import PERSONAL_DATA
        from loket.waitlist.selectors import count_places_held
        from loket.waitlist.services import expire_lapsed_offers

        register_holder("waitlist_offers", count_places_held)
        # A freed or added place goes to the first person waiting for its day.
        events.listen(PlacesFreed, services.offer_on_places_freed)
        events.listen(PlacesAdded, services.offer_on_places_added)
        personal_data.register(PERSONAL_DATA)
        register_job(
            "expire_offers", Job(expire_lapsed_offers, 20, "{count} waiting-list offer(s)")
        )
        register_applicant_holder(
            "waitlist_entries",
            ApplicantHolder(
                in_use=waitlist_data.applicant_in_use, let_go=waitlist_data.let_applicant_go
            ),
        )
