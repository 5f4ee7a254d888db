from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "loket.identity"
    label = "identity"
