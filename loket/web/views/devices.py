"""The account's page "Perangkat dan token" (devices and API tokens)."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from loket.accounts import services
from loket.core.errors import DomainError
from loket.web.views.common import page, verified_required


@verified_required
def devices(request):
    """The account's usable API tokens, each with its device, last use and end, revocable."""
    return page(
        request,
        "accounts/devices.html",
        {
            "tokens": services.list_active_tokens(account=request.user),
            "idle_days": settings.LOKET_TOKEN_IDLE_DAYS,
        },
    )


@require_POST
@verified_required
def revoke_device(request, token_id: int):
    try:
        services.revoke_account_token(account=request.user, token_id=token_id)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The token is revoked: the device using it must log in again."))
    return redirect("accounts:devices")


@require_POST
@verified_required
def revoke_all_devices(request):
    services.revoke_all_tokens(account=request.user, reason="revoked_by_account")
    messages.success(request, _("Every token is revoked."))
    return redirect("accounts:devices")
