from django.core.management.base import BaseCommand

from loket.offices import demo
from loket.outreach.demo import load_outreach_demo


class Command(BaseCommand):
    help = "Load the Karawang demo office, demo accounts and sample bookings (safe to run twice)."

    def handle(self, *args, **options):
        office = demo.load_office()
        account = demo.load_accounts()
        made = demo.load_sample_bookings(office, account)
        load_outreach_demo(office)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo office {office.code} ready; {made} sample booking(s) added. "
                f"Applicant login: {demo.DEMO_APPLICANT[0]} / {demo.DEMO_APPLICANT[1]}; "
                f"admin: {demo.DEMO_ADMIN[0]} / {demo.DEMO_ADMIN[1]}."
            )
        )
