"""Two-factor login (TOTP, django-otp) for supervisors, office administrators and superusers.

Turned on by the officer from the setup page (a secret shown as text and QR code, confirmed
with a first code); from then on the staff login asks for a code after the password, and any
session without it is ended (see session.py). Turning it on or off ends the account's other
sessions (the setup page keeps its own). Turned off with a current code, or by an
administrator deleting the device in the admin (a lost phone), which ends the officer's
sessions too. Every change is audited.

On an office node (LOKET_ROLE=office) the devices are the central site's, carried by the
office's feed (loket.sync): the node asks for the code and checks it, but two-factor login is
turned on and off only on the central site (`TwoFactorCentralOnly`).
"""

import segno
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from loket.accounts.models import User
from loket.accounts.sessions import end_other_sessions
from loket.core import audit
from loket.core.errors import DomainError, PermissionDenied
from loket.staff.models import StaffMembership
from loket.staff.permissions import roles_for


class CodeWrong(DomainError, code="otp_code_wrong", status=400):
    message = _("The code is wrong or has expired. Enter the 6 digits your app shows now.")


class TwoFactorCentralOnly(DomainError, code="two_factor_central_only", status=409):
    message = _(
        "Two-factor login is turned on and off on the central site only. This computer is the "
        "office's own server: it takes staff accounts from the central site."
    )


def on_office_node() -> bool:
    return settings.LOKET_ROLE == "office"


def _refuse_on_office_node() -> None:
    if on_office_node():
        raise TwoFactorCentralOnly()


def may_use_two_factor(user) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return StaffMembership.objects.filter(
        user=user, role__in=roles_for("staff.two_factor")
    ).exists()


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def pending_device(user) -> TOTPDevice:
    """The account's unconfirmed device (its secret shown on the setup page), made once."""
    if not may_use_two_factor(user):
        raise PermissionDenied()
    _refuse_on_office_node()
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Loket", confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app."""
    import base64

    b32 = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(b32[i : i + 4] for i in range(0, len(b32), 4))


def qr_data_uri(device: TOTPDevice) -> str:
    return segno.make(device.config_url, error="m").svg_data_uri(scale=4)


def verify(device: TOTPDevice, code: str) -> bool:
    """Whether `code` is the device's current code (django-otp throttles repeated failures)."""
    code = "".join(ch for ch in (code or "") if ch.isdigit())[:8]
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        return bool(code) and device.verify_token(code)


def turn_on(*, user, code: str) -> TOTPDevice:
    """Confirm the pending device with its first code: two-factor login is on from now."""
    device = pending_device(user)
    if not verify(device, code):
        raise CodeWrong()
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])  # (a signal: the office nodes take it)
        end_other_sessions(user=user)
        audit.record(action="staff.two_factor_on", obj=user, actor=user)
    return device


def turn_off(*, user, code: str) -> None:
    _refuse_on_office_node()
    device = confirmed_device(user)
    if device is None:
        return
    if not verify(device, code):
        raise CodeWrong()
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        end_other_sessions(user=user)
        audit.record(action="staff.two_factor_off", obj=user, actor=user)


def devices_removed(*, devices: list[TOTPDevice]) -> list[int]:
    """An administrator removed these devices (a lost phone): as when two-factor login is
    turned off, every session of each owner of a confirmed one ends (the administrator's own
    goes on if the view keeps it). Call in the transaction that deleted them; returns the ids
    of the accounts whose sessions end."""
    owners = sorted({d.user_id for d in devices if d.confirmed})
    for user in User.objects.filter(pk__in=owners):
        end_other_sessions(user=user)
    return owners
