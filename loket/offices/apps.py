from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OfficesConfig(AppConfig):
    name = "loket.offices"
    label = "offices"
    verbose_name = _("Offices and configuration")

    def ready(self):
        from loket.core import clock
        from loket.offices import domain

        # Training mode's "next working day" skips national holidays and cuti bersama too.
        clock.register_working_day_rule(
            lambda day: day.weekday() < 5 and domain.national_closure(day) is None
        )
