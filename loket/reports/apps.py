from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "loket.reports"
    label = "reports"
    verbose_name = _("Reports and capacity planning")

    def ready(self):
        # The office-day and outreach figures follow the booking figures on every page.
        # The headline comes first; the waiting list and officers' throughput last.
        from loket.reports import headline, queue_figures, selectors
        from loket.staff.portal import PortalLink, register

        register(
            PortalLink(
                "reports:index",
                _("Reports"),
                "oversight",
                10,
                permissions=("reports.view",),
                office_in="query",
            )
        )

        booking_figures = dict(selectors.FIGURES)
        selectors.FIGURES.clear()
        selectors.FIGURES.update(headline.HEADLINE_FIGURES)
        selectors.FIGURES.update(booking_figures)
        selectors.FIGURES.update(queue_figures.QUEUE_FIGURES)
        selectors.FIGURES.update(headline.MORE_FIGURES)
