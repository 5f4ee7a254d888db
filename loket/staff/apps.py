from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    name = "loket.staff"
    label = "staff"
    verbose_name = _("Staff: roles, permissions and login")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from loket.core.audit import register_audit_scope
        from loket.staff import portal
        from loket.staff.permissions import audit_office_ids
        from loket.staff.session import on_login

        register_audit_scope(audit_office_ids)
        user_logged_in.connect(on_login, dispatch_uid="loket.staff.session")
        portal.register_own_links()
