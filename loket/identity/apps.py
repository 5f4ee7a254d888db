from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "loket.identity"
    label = "identity"
    verbose_name = _("Identity")

    def ready(self):
        from loket.core import personal_data
        from loket.identity.personal_data import PERSONAL_DATA

        personal_data.register(PERSONAL_DATA)
