"""Account writes: registration, verification, API tokens, the people an account applies for."""

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connections, router, transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from loket.accounts.holders import applicant_holders
from loket.accounts.models import ApiToken, Applicant, EmailVerification, User, password_stamp
from loket.core import audit, clock, fastsql
from loket.core.errors import DomainError, InvalidInput
from loket.identity import regions
from loket.identity.nik import NikInvalid, parse_nik
from loket.notifications import texts
from loket.notifications.services import enqueue_message


class EmailTaken(DomainError, code="email_taken", status=409):
    message = _("An account with this e-mail address already exists. Log in instead.")


class EmailInvalid(InvalidInput, code="email_invalid"):
    message = _("Enter a valid e-mail address, like nama@contoh.id.")


class PasswordRejected(InvalidInput, code="password_rejected"):
    message = _("Choose a stronger password.")


class InvalidCredentials(DomainError, code="invalid_credentials", status=401):
    message = _("The e-mail address or password is wrong.")


class EmailNotVerified(DomainError, code="email_not_verified", status=403):
    message = _("Verify your e-mail address first: enter the code we sent you.")


class VerificationFailed(DomainError, code="verification_failed", status=400):
    message = _("The code is wrong or has expired. Ask for a new code.")


class ApplicantLimitReached(DomainError, code="applicant_limit_reached", status=409):
    message = _("An account may apply for at most 5 people.")


class ApplicantNotFound(DomainError, code="applicant_not_found", status=404):
    message = _("This person is not in your family list.")


class ApplicantInUse(DomainError, code="applicant_in_use", status=409):
    message = _(
        "This person has an active booking or is on a waiting list. Cancel the booking or leave "
        "the waiting list first."
    )


class ApplicantHasHistory(DomainError, code="applicant_has_history", status=409):
    message = _(
        "This person has past bookings, which the office must keep on record, so they stay in "
        "your list."
    )


class RegencyInvalid(InvalidInput, code="regency_invalid"):
    message = _("Enter the regency code from the KTP address, e.g. 32.15 for Kab. Karawang.")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _send_verification_code(user: User) -> str:
    code = f"{secrets.randbelow(10**6):06d}"
    now = clock.now()
    verification = EmailVerification.objects.create(
        user=user,
        code_hash=make_password(code),
        expires_at=now + dt.timedelta(minutes=settings.LOKET_VERIFICATION_CODE_MINUTES),
        created_at=now,
    )
    enqueue_message(
        # One message per code: two codes asked for in the same instant are both sent.
        dedupe_key=f"verify:{verification.pk}",
        recipient=user.email,
        subject=gettext("Your Loket verification code"),
        body=gettext("Your verification code is %(code)s. It is valid for %(minutes)s minutes.")
        % {"code": code, "minutes": settings.LOKET_VERIFICATION_CODE_MINUTES}
        + "\n\n"
        + gettext("Enter it here: %(url)s") % {"url": texts.link("web:verify")},
    )
    return code


def register_account(*, email: str, password: str, full_name: str = "") -> User:
    """Create an unverified account and e-mail it a verification code."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise EmailInvalid() from None
    try:
        validate_password(password or "", User(email=email, full_name=full_name))
    except ValidationError as exc:
        raise PasswordRejected(" ".join(str(m) for m in exc.messages)) from None
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email, password=password, full_name=full_name[:150]
            )
            audit.record(action="account.registered", obj=user, actor=user)
            _send_verification_code(user)
    except IntegrityError:
        raise EmailTaken() from None
    return user


def resend_verification(*, email: str) -> None:
    user = User.objects.filter(
        email=(email or "").strip().lower(), email_verified_at__isnull=True
    ).first()
    if user is not None:
        with transaction.atomic():
            _send_verification_code(user)


def verify_email(*, email: str, code: str) -> User:
    """Mark the account verified if `code` is its latest unexpired code (5 tries per code)."""
    with transaction.atomic():
        user = User.objects.select_for_update().filter(email=(email or "").strip().lower()).first()
        if user is None:
            raise VerificationFailed()
        if user.is_verified:
            return user
        pending = (
            EmailVerification.objects.filter(
                user=user, used_at__isnull=True, expires_at__gt=clock.now()
            )
            .order_by("-created_at", "-id")
            .first()
        )
        if pending is None or pending.attempts >= 5:
            raise VerificationFailed()
        matched = check_password((code or "").strip(), pending.code_hash)
        if matched:
            now = clock.now()
            pending.used_at = now
            pending.save(update_fields=["used_at"])
            user.email_verified_at = now
            user.save(update_fields=["email_verified_at"])
            audit.record(action="account.verified", obj=user, actor=user)
        else:
            # Committed: a wrong code counts even though the request fails.
            pending.attempts += 1
            pending.save(update_fields=["attempts"])
    if not matched:
        raise VerificationFailed()
    return user


def create_verified_account(*, email: str, password: str, full_name: str = "", actor=None) -> User:
    """Assisted registration at the office: the account is verified at once."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise EmailInvalid() from None
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email, password=password, full_name=full_name, email_verified_at=clock.now()
            )
            audit.record(
                action="account.created_assisted",
                obj=user,
                actor=actor,
                actor_label=None if actor else "command",
            )
    except IntegrityError:
        raise EmailTaken() from None
    return user


# A token's last use is written at most this often (not on every request).
TOKEN_TOUCH_INTERVAL = dt.timedelta(hours=1)


class TokenNotFound(DomainError, code="token_not_found", status=404):
    message = _("There is no such token on your account.")


def issue_token(*, email: str, password: str, request=None, label: str = "") -> str:
    """Check the credentials and return a new bearer token (shown once, stored as a digest).

    Pass the HTTP `request` when there is one: failed attempts then count towards the lockout,
    and the client's User-Agent names the token on the account's "devices and tokens" page.
    """
    user = authenticate(request, username=(email or "").strip().lower(), password=password or "")
    if user is None:
        raise InvalidCredentials()
    if not user.is_verified:
        raise EmailNotVerified()
    if not label and request is not None:
        label = request.META.get("HTTP_USER_AGENT", "")
    token = secrets.token_urlsafe(32)
    now = clock.now()
    ApiToken.objects.create(
        user=user,
        digest=_digest(token),
        label=" ".join(str(label).split())[:100],
        password_stamp=password_stamp(user.password),
        created_at=now,
        last_used_at=now,
    )
    return token


def _idle_since(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(days=settings.LOKET_TOKEN_IDLE_DAYS)


def authenticate_token(token: str) -> tuple[User, int] | None:
    """(account, token id) of a usable bearer token, else None. One query; plus, at most once
    per TOKEN_TOUCH_INTERVAL per token, a conditional UPDATE of its last use (idle expiry)."""
    if not token or len(token) > 200:
        return None
    now = clock.now()
    found = ApiToken.objects.active_user(
        _digest(token), idle_since=_idle_since(now), touch_before=now - TOKEN_TOUCH_INTERVAL
    )
    if found is None:
        return None
    user, token_id, due = found
    if not user.is_active or not user.is_verified:
        return None
    if due:
        ApiToken.objects.filter(pk=token_id, last_used_at__lt=now - TOKEN_TOUCH_INTERVAL).update(
            last_used_at=now
        )
    return user, token_id


def user_for_token(token: str) -> User | None:
    found = authenticate_token(token)
    return found[0] if found else None


def revoke_token(*, token: str) -> None:
    ApiToken.objects.filter(digest=_digest(token), revoked_at__isnull=True).update(
        revoked_at=clock.now()
    )


def list_active_tokens(*, account: User) -> list[ApiToken]:
    """The account's usable tokens, most recently used first (expiry computed on each)."""
    now = clock.now()
    stamp = password_stamp(account.password)
    tokens = list(
        ApiToken.objects.filter(
            user=account,
            revoked_at__isnull=True,
            last_used_at__gt=_idle_since(now),
            password_stamp=stamp,
        ).order_by("-last_used_at", "-id")
    )
    for t in tokens:
        t.expires_at = t.last_used_at + dt.timedelta(days=settings.LOKET_TOKEN_IDLE_DAYS)
    return tokens


def revoke_account_token(*, account: User, token_id: int, reason: str = "revoked") -> None:
    """Revoke one of the account's own tokens (the devices page, the API, log-out)."""
    with transaction.atomic():
        updated = ApiToken.objects.filter(
            pk=token_id, user=account, revoked_at__isnull=True
        ).update(revoked_at=clock.now())
        if not updated:
            raise TokenNotFound()
        audit.record(
            action=f"token.{reason}",
            obj=account,
            actor=account,
            after={"token": token_id},
        )


def revoke_all_tokens(*, account: User, actor: User | None = None, reason: str) -> int:
    """Revoke every token of the account (a new password, a reset, closing the account).

    A new password already ends them (the stamp), this makes it visible and audited."""
    with transaction.atomic():
        count = ApiToken.objects.filter(user=account, revoked_at__isnull=True).update(
            revoked_at=clock.now()
        )
        if count:
            audit.record(
                action="token.revoked_all",
                obj=account,
                actor=actor or account,
                after={"reason": reason, "count": count},
            )
    return count


def save_applicant(
    *,
    account: User,
    nik: str,
    name: str,
    birth_date: dt.date,
    sex: str,
    phone: str,
    domicile_regency: str,
    married: bool = False,
    today: dt.date,
) -> Applicant:
    """Add a person to the account, or update the one with this NIK. Locks the account row.

    Call inside a transaction. The cap of 5 is held by `position` 1..5 in the database.
    """
    info = parse_nik(nik, declared_birth_date=birth_date, today=today)
    if sex and sex != info.sex:
        # The same code as a birth date that contradicts the NIK: one kind of fault, one code.
        raise NikInvalid(
            _("The sex does not match the NIK (for women the day in the NIK is +40)."),
            field="sex",
        )
    regency = regions.normalize_regency(domicile_regency)
    if regency is None:
        raise RegencyInvalid()
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Enter the name as written on the KTP."))
    phone = (phone or "").strip()
    if not phone or not phone.lstrip("+").isdigit() or not 8 <= len(phone.lstrip("+")) <= 15:
        raise InvalidInput(_("Enter a phone number of 8 to 15 digits, e.g. 081234567890."))
    fields = {
        "name": name[:150],
        "birth_date": info.birth_date,
        "sex": info.sex,
        "phone": phone,
        "domicile_regency": regency,
        "married": married,
    }
    people = _lock_account_applicants(account)
    existing = next((p for p in people if p.nik == info.nik), None)
    if existing is not None:
        before = {k: str(getattr(existing, k)) for k in fields}
        changed = {k: v for k, v in fields.items() if getattr(existing, k) != v}
        if changed:
            for k, v in changed.items():
                setattr(existing, k, v)
            existing.save(update_fields=list(changed))
            audit.record(
                action="applicant.updated",
                obj=existing,
                actor=account,
                before=before,
                after={k: str(v) for k, v in changed.items()},
            )
        return existing
    taken = {p.position for p in people}
    free = [p for p in range(1, settings.LOKET_MAX_APPLICANTS_PER_ACCOUNT + 1) if p not in taken]
    if not free:
        raise ApplicantLimitReached()
    applicant = Applicant(account=account, nik=info.nik, position=free[0], **fields)
    _add_applicant(applicant, actor=account)
    return applicant


def _lock_account_applicants(account: User) -> list[Applicant]:
    """Lock the account row (the applicant list's lock), then read its applicants.

    Two statements, so that the read takes its snapshot after the lock is granted (READ
    COMMITTED): a concurrent booking that added an applicant and held the lock has committed
    by then and its row is seen. (One statement joining the applicants `FOR UPDATE OF` the
    account would re-check only the account row after the wait and miss that applicant.)
    PostgreSQL: both statements in one round trip; elsewhere the ORM's two.
    """
    if not fastsql.enabled(Applicant):
        User.objects.select_for_update().filter(pk=account.pk).first()
        return list(Applicant.objects.filter(account=account))
    fields = Applicant._meta.concrete_fields
    columns = ", ".join(f'"{f.column}"' for f in fields)
    sql = (
        f'SELECT 1 FROM "{User._meta.db_table}" WHERE "id" = %s FOR UPDATE;\n'
        f'SELECT {columns} FROM "{Applicant._meta.db_table}" WHERE "account_id" = %s'
    )
    connection = connections[router.db_for_write(Applicant)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [account.pk, account.pk])
        cursor.nextset()
        rows = cursor.fetchall()
    names = [f.attname for f in fields]
    return [Applicant.from_db(connection.alias, names, row) for row in rows]


def _add_applicant(applicant: Applicant, *, actor: User) -> None:
    """INSERT the applicant and its `applicant.added` audit row.

    PostgreSQL: one statement (the audit row's object id is the new applicant's id).
    """
    if not fastsql.enabled(Applicant):
        applicant.save(force_insert=True)
        audit.record(action="applicant.added", obj=applicant, actor=actor)
        return
    connection = connections[router.db_for_write(Applicant)]
    insert = fastsql.row_insert(Applicant)
    # The new applicant's id is the audit row's object id, filled in by the statement.
    event = audit.build(action="applicant.added", obj=applicant, actor=actor)
    event.object_id = ""
    audit_insert = fastsql.row_insert(type(event), returning_pk=False)
    overrides = {"object_id": 'new_applicant."id"::text'}
    sql = (
        f"WITH new_applicant AS ({insert.sql()}) "
        f"{audit_insert.sql(overrides, source='new_applicant')} RETURNING object_id"
    )
    params = insert.params(applicant, connection) + audit_insert.params(
        event, connection, overrides
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        applicant.pk = int(cursor.fetchone()[0])
    applicant._state.adding = False
    applicant._state.db = connection.alias


def remove_applicant(*, account: User, applicant_id: int) -> None:
    """Take a person off the account's family list, freeing their place among the 5.

    Refused while they hold an active booking or an open waiting-list entry or offer, and when
    past bookings keep them on record. Locks: the account row (as booking and joining a
    waiting list do), so no booking for this person can start meanwhile.
    """
    holders = applicant_holders()  # bookings, waiting-list entries
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=account.pk).first()
        applicant = Applicant.objects.filter(account=account, pk=applicant_id).first()
        if applicant is None:
            raise ApplicantNotFound()
        if any(holder.in_use(applicant) for holder in holders):
            raise ApplicantInUse()
        if any(holder.on_record(applicant) for holder in holders):
            raise ApplicantHasHistory()
        audit.record(
            action="applicant.removed",
            obj=applicant,
            actor=account,
            before={"name": applicant.name, "nik": applicant.nik[-4:]},
        )
        for holder in holders:
            if holder.let_go:
                holder.let_go(applicant)
        applicant.delete()
