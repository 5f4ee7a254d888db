from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "loket.accounts"
    label = "accounts"

    def ready(self):
        from loket.accounts.personal_data import PERSONAL_DATA
        from loket.core import personal_data

        personal_data.register(PERSONAL_DATA)
