from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReleaseConfig(AppConfig):
    name = "loket.release"
    label = "release"
    verbose_name = _("Fair release")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from loket.booking import config_cache
        from loket.booking.gates import register_gate
        from loket.core import personal_data
        from loket.release.models import FairRelease
        from loket.release.personal_data import PERSONAL_DATA
        from loket.release.services import use_admission

        post_save.connect(config_cache.invalidate, sender=FairRelease, dispatch_uid="fair-save")
        post_delete.connect(config_cache.invalidate, sender=FairRelease, dispatch_uid="fair-del")
        personal_data.register(PERSONAL_DATA)
        # While a release's waiting room governs a channel, booking needs its admission.
        register_gate("fair_release", use_admission)
