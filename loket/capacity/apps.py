from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CapacityConfig(AppConfig):
    name = "loket.capacity"
    label = "capacity"
    verbose_name = _("Capacity ledger")

    def ready(self):
        from loket.capacity.integrity import find_drift
        from loket.core.backup import RestoreCheck, register_restore_check

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
