from django.core.management.base import BaseCommand

from loket.core import clock
from loket.demo import office as demo
from loket.demo.outreach import load_outreach_demo
from loket.demo.queue import load_queue_demo, load_todays_booking
from loket.offices.selectors import office_closed_reason


class Command(BaseCommand):
    help = "Load the Karawang demo office, demo accounts and sample bookings (safe to run twice)."

    def handle(self, *args, **options):
        office = demo.load_office()
        account = demo.load_accounts()
        made = demo.load_sample_bookings(office, account)
        load_outreach_demo(office)
        staff = load_queue_demo()
        today = load_todays_booking()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo office {office.code} ready; {made} sample booking(s) added. "
                f"Applicant login: {demo.DEMO_APPLICANT[0]} / {demo.DEMO_APPLICANT[1]}; "
                f"admin: {demo.DEMO_ADMIN[0]} / {demo.DEMO_ADMIN[1]}."
            )
        )
        for email, password, role in staff:
            self.stdout.write(f"  staff ({role}): {email} / {password}")
        if today is not None:
            # The desk types the NIK from the person's KTP: a demo has no KTP, so it is shown.
            self.stdout.write(
                f"  today's booking to check in: {today.code} "
                f"({today.applicant.name}, NIK {today.nik})"
            )
        day = clock.local_today(office.time_zone)
        closed = office_closed_reason(office, day)
        if closed is not None:
            training = clock.training_day() is not None
            self.stdout.write(
                self.style.WARNING(
                    f"The office is closed today, {day.isoformat()} ({closed}): no office day."
                    + (
                        ""
                        if training
                        else " To practise it on the next working day, start training mode:\n"
                        "  LOKET_TRAINING_DATE=next-working-day make run"
                    )
                )
            )
        elif clock.training_day() is not None:
            self.stdout.write(
                self.style.WARNING(f"Training mode: the office day runs on {day:%A %d %B %Y}.")
            )
