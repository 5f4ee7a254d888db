from django.core.management.base import BaseCommand, CommandError

from loket.accounts.services import create_verified_account
from loket.core.errors import DomainError


class Command(BaseCommand):
    help = "Create a verified applicant account (assisted registration at the office)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--password", required=True)
        parser.add_argument("--name", default="")

    def handle(self, *args, email, password, name, **options):
        if len(password) < 8:
            raise CommandError("The password needs at least 8 characters.")
        try:
            user = create_verified_account(email=email, password=password, full_name=name)
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"Created verified account {user.email}."))
