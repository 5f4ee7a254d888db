import datetime as dt
import threading

from django.conf import settings
from ninja import Router, Schema, Status
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle
from pydantic import Field

from loket.accounts import services
from loket.core import ratelimit
from loket.core.client_ip import client_ip


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        found = services.authenticate_token(token)
        if found is None:
            return None
        user, request.api_token_id = found
        return user


class RateLimit(BaseThrottle):
    """A django-ninja throttle whose rate is settings.LOKET_RATE_LIMITS[scope], read at request
    time. Counted per client IP, or per account (`per="account"`): never per IP for signed-in
    calls, since many accounts may share one address. A refused call is a 429 with Retry-After.
    Fixed windows, counted in one cache round trip (loket.core.ratelimit).
    """

    _waits = threading.local()

    def __init__(self, scope: str, *, per: str = "ip"):
        self.scope = scope
        self.per = per

    def ident(self, request) -> str | None:
        """Who the hit is counted for; None: not counted."""
        if self.per == "account":
            account = getattr(request, "auth", None)
            return f"account:{account.pk}" if account is not None else None
        ip = client_ip(request)
        return f"ip:{ip}" if ip else None

    def allow_request(self, request) -> bool:
        return allow(request, [self])

    def wait(self) -> float | None:
        return getattr(RateLimit._waits, "seconds", None)


class RateLimits(RateLimit):
    """Several limits on one operation, counted together in one cache round trip."""

    def __init__(self, *limits: RateLimit):
        self.limits = limits

    def allow_request(self, request) -> bool:
        return allow(request, self.limits)


def allow(request, limits) -> bool:
    if not settings.LOKET_RATE_LIMITS_ENABLED:
        return True
    keys = []
    for limit in limits:
        ident = limit.ident(request)
        if ident is not None:
            keys.append((f"{limit.scope}:{ident}", settings.LOKET_RATE_LIMITS[limit.scope]))
    RateLimit._waits.seconds = wait = ratelimit.hit(keys)
    return wait is None


router = Router(tags=["accounts"])


class ErrorOut(Schema):
    code: str
    detail: str


class RegisterIn(Schema):
    email: str = Field(max_length=254)
    password: str = Field(max_length=128)
    full_name: str = Field(default="", max_length=150)


class AccountOut(Schema):
    email: str
    verified: bool


class VerifyIn(Schema):
    email: str = Field(max_length=254)
    code: str = Field(max_length=12)


class EmailIn(Schema):
    email: str = Field(max_length=254)


class TokenIn(Schema):
    email: str = Field(max_length=254)
    password: str = Field(max_length=128)


class TokenOut(Schema):
    token: str


@router.post(
    "/register",
    auth=None,
    throttle=RateLimit("api_register"),
    response={201: AccountOut, 400: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut},
)
def register(request, payload: RegisterIn):
    """Create an account; a 6-digit code is sent to the e-mail address to verify it."""
    user = services.register_account(
        email=payload.email, password=payload.password, full_name=payload.full_name
    )
    return Status(201, {"email": user.email, "verified": user.is_verified})


@router.post(
    "/verify",
    auth=None,
    throttle=RateLimit("api_verify"),
    response={200: AccountOut, 400: ErrorOut, 422: ErrorOut, 429: ErrorOut},
)
def verify(request, payload: VerifyIn):
    """Verify the e-mail address with the code that was sent to it."""
    user = services.verify_email(email=payload.email, code=payload.code)
    return {"email": user.email, "verified": user.is_verified}


@router.post(
    "/resend-code",
    auth=None,
    throttle=RateLimit("api_resend"),
    response={202: None, 400: ErrorOut, 422: ErrorOut, 429: ErrorOut},
)
def resend_code(request, payload: EmailIn):
    """Send a new verification code (answers the same whether or not the account exists)."""
    services.resend_verification(email=payload.email)
    return Status(202, None)


@router.post(
    "/token",
    auth=None,
    throttle=RateLimit("api_token"),
    response={
        200: TokenOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        422: ErrorOut,
        429: ErrorOut,
    },
)
def token(request, payload: TokenIn):
    """Exchange e-mail and password for a bearer token.

    After repeated failures for one e-mail address from one IP, the pair is locked for a while:
    429 `account_locked` with Retry-After."""
    return {
        "token": services.issue_token(
            email=payload.email, password=payload.password, request=request
        )
    }


class TokenInfoOut(Schema):
    id: int
    device: str
    created_at: dt.datetime
    last_used_at: dt.datetime
    expires_at: dt.datetime
    current: bool


@router.post("/logout", response={204: None, 401: ErrorOut})
def logout(request):
    """Revoke the bearer token this request was made with."""
    services.revoke_account_token(
        account=request.auth, token_id=request.api_token_id, reason="logged_out"
    )
    return Status(204, None)


@router.get("/tokens", response={200: list[TokenInfoOut], 401: ErrorOut})
def tokens(request):
    """The account's usable tokens ("Perangkat dan token"): each ends after
    LOKET_TOKEN_IDLE_DAYS without use (`expires_at`), on log-out, or when the password changes."""
    return [
        {
            "id": t.pk,
            "device": t.label,
            "created_at": t.created_at,
            "last_used_at": t.last_used_at,
            "expires_at": t.expires_at,
            "current": t.pk == request.api_token_id,
        }
        for t in services.list_active_tokens(account=request.auth)
    ]


@router.delete(
    "/tokens/{token_id}", response={204: None, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
)
def revoke(request, token_id: int):
    """Revoke one of the account's tokens (404 `token_not_found` if it is not the account's)."""
    services.revoke_account_token(account=request.auth, token_id=token_id)
    return Status(204, None)


applicant_removal_router = Router(tags=["accounts"])


@applicant_removal_router.delete(
    "/{applicant_id}",
    response={204: None, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def remove_applicant(request, applicant_id: int):
    """Remove a person from the account's family list.

    Refused (409 `applicant_in_use`) while they have an active booking or waiting-list entry,
    and (409 `applicant_has_history`) when past bookings keep them on record."""
    services.remove_applicant(account=request.auth, applicant_id=applicant_id)
    return Status(204, None)
