from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo office (`manage.py load_demo`): it fills every app, so it sits above them all."""

    name = "loket.demo"
    label = "demo"
    verbose_name = _("Demo data")
