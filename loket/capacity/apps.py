from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CapacityConfig(AppConfig):
    name = "loket.capacity"
    label = "capacity"
    verbose_name = _("Capacity ledger")

    def ready(self):
        from loket.capacity import services
        from loket.capacity.events import PlacesAdded, PlacesFreed
        from loket.capacity.integrity import find_drift
        from loket.capacity.live import clear_lapsed_places
        from loket.capacity.personal_data import PERSONAL_DATA
        from loket.core import events, personal_data
        from loket.core.backup import RestoreCheck, register_restore_check
        from loket.notifications.jobs import Job, register_job
        from loket.offices.events import CapacityConfigured

        personal_data.register(PERSONAL_DATA)
        # A freed or added place voids the window's full flag.
        events.listen(PlacesFreed, services.clear_full_on_free)
        events.listen(PlacesAdded, services.clear_full_on_added)
        # A channel's changed capacity resizes its days in use (offering the new places).
        events.listen(CapacityConfigured, services.resize_on_configured)

        # Live places whose day has passed keep a NIK for nothing: the worker clears them.
        register_job(
            "clear_live_places", Job(clear_lapsed_places, 25, "{count} lapsed live place(s)")
        )

        def drift_lines() -> list[str]:
            return [f"DRIFT slot {drift.slot_id}: {drift}" for drift in find_drift()]

        # A restore ends with the ledger integrity check.
        register_restore_check(
            "ledger",
            RestoreCheck(
                problems=drift_lines,
                failure="{count} ledger slot(s) drift",
                clean="ledger clean",
            ),
        )
