from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "loket.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from loket.core import personal_data
        from loket.notifications.jobs import Job, register_job
        from loket.notifications.personal_data import PERSONAL_DATA
        from loket.notifications.services import deliver_due_messages

        personal_data.register(PERSONAL_DATA)
        register_job("deliver", Job(deliver_due_messages, 40, "delivered {count} message(s)"))
