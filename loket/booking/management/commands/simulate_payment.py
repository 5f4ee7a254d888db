import json

from django.core.management.base import BaseCommand, CommandError

from loket.booking.models import Booking
from loket.booking.payments import sign_payment_notice
from loket.booking.services import record_payment
from loket.core import clock
from loket.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Pay a booking as the payment gateway would: a notice signed with LOKET_PAYMENT_SECRET, "
        "through the same path as POST /api/v1/payments/notify. Prints the curl equivalent."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="booking code or billing code")

    def handle(self, *args, code, **options):
        booking = (
            Booking.objects.filter(code=code.upper()).first()
            or Booking.objects.filter(billing_code=code).first()
        )
        if booking is None:
            raise CommandError(f"No booking with code or billing code {code}.")
        body = json.dumps(
            {
                "billing_code": booking.billing_code,
                "amount": booking.amount,
                "paid_at": clock.now().isoformat(),
            }
        ).encode()
        signature = sign_payment_notice(body)
        self.stdout.write("Equivalent request:")
        self.stdout.write(
            "  curl -X POST http://127.0.0.1:8000/api/v1/payments/notify "
            f"-H 'Content-Type: application/json' -H 'X-Signature: {signature}' "
            f"-d '{body.decode()}'"
        )
        try:
            booking = record_payment(body=body, signature=signature)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Booking {booking.code} is {booking.status}; "
                f"application number {booking.application_number}."
            )
        )
