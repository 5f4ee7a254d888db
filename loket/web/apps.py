from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "loket.web"
    label = "web"
    verbose_name = _("Applicant website")


class AxesConfig(AxesAppConfig):
    """django-axes (the log-in lockout) under a heading people read in the admin."""

    verbose_name = _("Log-in lockouts")
