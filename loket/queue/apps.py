from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QueueConfig(AppConfig):
    name = "loket.queue"
    label = "queue"
    verbose_name = _("The office day: check-in and queue")

    def ready(self):
        from loket.capacity.integrity import register_holder
        from loket.core import personal_data
        from loket.core.audit import register_audit_scope
        from loket.queue.permissions import audit_office_ids
        from loket.queue.personal_data import PERSONAL_DATA
        from loket.queue.selectors import count_places_held

        register_holder("queue", count_places_held)
        personal_data.register(PERSONAL_DATA)
        register_audit_scope(audit_office_ids)

        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from loket.queue.counter_sign_in import on_logout
        from loket.queue.staff_session import on_login

        user_logged_in.connect(on_login, dispatch_uid="loket.queue.staff_session")
        user_logged_out.connect(on_logout, dispatch_uid="loket.queue.counter_sign_in")
