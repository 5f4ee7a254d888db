"""The signed QR code on a booking's proof: made for the proof page and its e-mails, read back
at the information desk."""

from django.core import signing
from django.utils.translation import gettext_lazy as _

from loket.booking.models import Booking
from loket.core.errors import DomainError

QR_SALT = "loket.booking.qr"


class QrInvalid(DomainError, code="qr_invalid", status=400):
    message = _("This QR code is not a valid Loket booking proof.")


def qr_payload(booking: Booking) -> str:
    return signing.dumps(
        {"c": booking.code, "n": booking.application_number}, salt=QR_SALT, compress=True
    )


def verify_qr(payload: str) -> Booking:
    """The booking a QR proof stands for; refused if it was not signed by this installation."""
    try:
        data = signing.loads(payload or "", salt=QR_SALT)
        booking = Booking.objects.select_related("office", "applicant").get(
            code=data["c"], application_number=data["n"]
        )
    except (signing.BadSignature, KeyError, TypeError, Booking.DoesNotExist):
        raise QrInvalid() from None
    return booking
