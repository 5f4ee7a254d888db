from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "loket.reports"
    label = "reports"
    verbose_name = _("Reports and capacity planning")

    def ready(self):
        # The office-day and outreach figures follow the booking figures on every page.
        from loket.reports import queue_figures, selectors

        selectors.FIGURES.update(queue_figures.QUEUE_FIGURES)
