"""Who may see the reports: for now any staff account (`is_staff`), for every office.

The one place to change when office roles exist (e.g. supervisors and office admins of the
office being reported on): `may_see_reports` and `reports_required`.
"""

from django.contrib.admin.views.decorators import staff_member_required


def may_see_reports(user) -> bool:
    return bool(user and user.is_active and user.is_staff)


# Anonymous people and non-staff accounts are sent to the staff (admin) login.
reports_required = staff_member_required
