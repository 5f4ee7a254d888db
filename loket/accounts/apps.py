from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "loket.accounts"
    label = "accounts"
    verbose_name = _("Accounts and people")

    def ready(self):
        from loket.accounts.personal_data import PERSONAL_DATA
        from loket.core import personal_data

        personal_data.register(PERSONAL_DATA)
