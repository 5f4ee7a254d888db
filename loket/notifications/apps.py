from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "loket.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from loket.core import personal_data
        from loket.notifications.personal_data import PERSONAL_DATA

        personal_data.register(PERSONAL_DATA)
