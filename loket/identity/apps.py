from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "loket.identity"
    label = "identity"

    def ready(self):
        from loket.core import personal_data
        from loket.identity.personal_data import PERSONAL_DATA

        personal_data.register(PERSONAL_DATA)
