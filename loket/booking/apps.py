from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingConfig(AppConfig):
    name = "loket.booking"
    label = "booking"
    verbose_name = _("Bookings")

    def ready(self):
        from loket.accounts.holders import ApplicantHolder, register_applicant_holder
        from loket.booking import config_cache
        from loket.booking import personal_data as booking_data
        from loket.booking.personal_data import PERSONAL_DATA
        from loket.booking.reminders import send_appointment_reminders
        from loket.booking.selectors import count_places_held
        from loket.booking.services import expire_overdue_holds
        from loket.capacity.integrity import register_holder
        from loket.core import personal_data
        from loket.notifications.jobs import Job, register_job

        register_holder("bookings", count_places_held)
        config_cache.connect_signals()
        personal_data.register(PERSONAL_DATA)
        register_job("expire_holds", Job(expire_overdue_holds, 10, "expired {count} hold(s)"))
        register_job(
            "reminders", Job(send_appointment_reminders, 30, "reminded {count} booking(s)")
        )
        register_applicant_holder(
            "bookings",
            ApplicantHolder(
                in_use=booking_data.applicant_in_use, on_record=booking_data.applicant_on_record
            ),
        )
