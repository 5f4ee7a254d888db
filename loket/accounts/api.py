from ninja import Router, Schema, Status
from ninja.security import HttpBearer
from pydantic import Field

from loket.accounts import services


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        return services.user_for_token(token)


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


@router.post("/register", auth=None, response={201: AccountOut, 409: ErrorOut, 422: ErrorOut})
def register(request, payload: RegisterIn):
    """Create an account; a 6-digit code is sent to the e-mail address to verify it."""
    user = services.register_account(
        email=payload.email, password=payload.password, full_name=payload.full_name
    )
    return Status(201, {"email": user.email, "verified": user.is_verified})


@router.post("/verify", auth=None, response={200: AccountOut, 400: ErrorOut})
def verify(request, payload: VerifyIn):
    """Verify the e-mail address with the code that was sent to it."""
    user = services.verify_email(email=payload.email, code=payload.code)
    return {"email": user.email, "verified": user.is_verified}


@router.post("/resend-code", auth=None, response={202: None})
def resend_code(request, payload: EmailIn):
    """Send a new verification code (answers the same whether or not the account exists)."""
    services.resend_verification(email=payload.email)
    return Status(202, None)


@router.post("/token", auth=None, response={200: TokenOut, 401: ErrorOut, 403: ErrorOut})
def token(request, payload: TokenIn):
    """Exchange e-mail and password for a bearer token."""
    return {"token": services.issue_token(email=payload.email, password=payload.password)}
