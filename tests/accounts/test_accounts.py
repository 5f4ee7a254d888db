"""Accounts: register, verify by e-mailed code, log in; the people an account applies for."""

import datetime as dt
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from loket.accounts import services
from loket.accounts.models import ApiToken, Applicant, EmailVerification, User
from loket.core import clock
from loket.core.errors import InvalidInput
from loket.core.models import AuditEvent
from loket.identity.nik import NikInvalid
from loket.notifications.models import OutboxMessage
from tests.conftest import make_nik

EMAIL = "ani@contoh.id"
PASSWORD = "kuda-lari-pagi-7"
TODAY = dt.date(2026, 12, 1)


def sent_code(email: str = EMAIL) -> str:
    """The verification code in the latest message to `email`."""
    message = OutboxMessage.objects.filter(recipient=email).order_by("-id").first()
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_registering_sends_a_code_that_verifies_the_account(now, db):
    """Register, receive a code by e-mail, verify, then log in for a token."""
    user = services.register_account(email=" Ani@Contoh.ID ", password=PASSWORD, full_name="Ani")
    assert user.email == EMAIL
    assert not user.is_verified
    assert user.password.startswith("md5$") or user.password.startswith("argon2")
    message = OutboxMessage.objects.get(recipient=EMAIL)
    assert "30" in message.body  # minutes of validity
    verified = services.verify_email(email=EMAIL, code=sent_code())
    assert verified.is_verified
    token = services.issue_token(email=EMAIL, password=PASSWORD)
    assert services.user_for_token(token) == user
    assert ApiToken.objects.get(user=user).digest != token  # only a digest is stored
    actions = list(
        AuditEvent.objects.filter(object_id=str(user.pk)).values_list("action", flat=True)
    )
    assert sorted(actions) == ["account.registered", "account.verified"]


def test_passwords_are_hashed_with_argon2(db, settings):
    """Passwords are stored as Argon2 hashes."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = services.register_account(email=EMAIL, password=PASSWORD)
    assert user.password.startswith("argon2")


def test_an_unverified_account_cannot_log_in(now, db):
    """Until the e-mail address is verified, no token is given."""
    services.register_account(email=EMAIL, password=PASSWORD)
    with pytest.raises(services.EmailNotVerified) as exc:
        services.issue_token(email=EMAIL, password=PASSWORD)
    assert (exc.value.code, exc.value.status) == ("email_not_verified", 403)


def test_a_wrong_password_is_refused(account):
    """A wrong password or unknown e-mail gives the same refusal."""
    for email, password in [("budi@contoh.id", "salah-sekali-1"), ("nobody@contoh.id", "x")]:
        with pytest.raises(services.InvalidCredentials) as exc:
            services.issue_token(email=email, password=password)
        assert (exc.value.code, exc.value.status) == ("invalid_credentials", 401)


def test_a_wrong_code_is_counted(now, db):
    """A wrong code is refused and counted against the code."""
    services.register_account(email=EMAIL, password=PASSWORD)
    code = sent_code()
    with pytest.raises(services.VerificationFailed) as exc:
        services.verify_email(email=EMAIL, code=wrong(code))
    assert exc.value.code == "verification_failed"
    assert EmailVerification.objects.get().attempts == 1
    assert services.verify_email(email=EMAIL, code=code).is_verified


def test_five_wrong_codes_lock_the_code(now, db):
    """After five wrong tries even the right code is refused; a new code is needed."""
    services.register_account(email=EMAIL, password=PASSWORD)
    code = sent_code()
    for _ in range(5):
        with pytest.raises(services.VerificationFailed):
            services.verify_email(email=EMAIL, code=wrong(code))
    with pytest.raises(services.VerificationFailed):
        services.verify_email(email=EMAIL, code=code)
    assert not User.objects.get(email=EMAIL).is_verified
    with clock.frozen_at(clock.now() + dt.timedelta(seconds=5)):
        services.resend_verification(email=EMAIL)
    assert services.verify_email(email=EMAIL, code=sent_code()).is_verified


def test_a_code_expires(now, db):
    """A code is valid for 30 minutes."""
    services.register_account(email=EMAIL, password=PASSWORD)
    code = sent_code()
    with (
        clock.frozen_at(now + dt.timedelta(minutes=30)),
        pytest.raises(services.VerificationFailed),
    ):
        services.verify_email(email=EMAIL, code=code)
    with clock.frozen_at(now + dt.timedelta(minutes=29)):
        assert services.verify_email(email=EMAIL, code=code).is_verified


def test_a_new_code_is_sent_and_replaces_the_old(now, db):
    """Asking again sends a new code; only the newest one works."""
    services.register_account(email=EMAIL, password=PASSWORD)
    old = sent_code()
    services.resend_verification(email=EMAIL)  # at the same moment: still a new message
    assert OutboxMessage.objects.filter(recipient=EMAIL).count() == 2
    new = sent_code()
    if new != old:
        with pytest.raises(services.VerificationFailed):
            services.verify_email(email=EMAIL, code=old)
    assert services.verify_email(email=EMAIL, code=new).is_verified


def test_resending_to_an_unknown_or_verified_address_sends_nothing(account):
    """Asking for a code for an unknown or verified address answers the same, sending nothing."""
    services.resend_verification(email="nobody@contoh.id")
    services.resend_verification(email=account.email)
    assert not OutboxMessage.objects.exists()


def test_verifying_an_unknown_address_fails(db):
    """A code for an address without an account fails like a wrong code."""
    with pytest.raises(services.VerificationFailed):
        services.verify_email(email="nobody@contoh.id", code="123456")


def test_verifying_a_verified_account_again_is_harmless(account):
    """A verified account stays verified whatever code is sent."""
    assert services.verify_email(email=account.email, code="000000").is_verified


def test_an_email_address_can_be_registered_once(now, db):
    """A second registration with the same address (in any case) is refused."""
    services.register_account(email=EMAIL, password=PASSWORD)
    with pytest.raises(services.EmailTaken) as exc:
        services.register_account(email=EMAIL.upper(), password=PASSWORD)
    assert (exc.value.code, exc.value.status) == ("email_taken", 409)
    assert User.objects.count() == 1
    assert OutboxMessage.objects.count() == 1


@pytest.mark.parametrize("email", ["", "ani", "ani@", "@contoh.id", "ani @contoh.id", "a" * 300])
def test_an_invalid_email_address_is_refused(db, email):
    """An address that is not an e-mail address is refused."""
    with pytest.raises(services.EmailInvalid) as exc:
        services.register_account(email=email, password=PASSWORD)
    assert exc.value.status == 422


@pytest.mark.parametrize("password", ["", "abc", "password123", "1234567890123", "ani@contoh.id"])
def test_a_weak_password_is_refused(db, password):
    """Short, common, all-digit or e-mail-like passwords are refused with the reason."""
    with pytest.raises(services.PasswordRejected) as exc:
        services.register_account(email=EMAIL, password=password)
    assert exc.value.code == "password_rejected"
    assert str(exc.value)
    assert not User.objects.exists()


def test_a_revoked_token_no_longer_authenticates(account, token):
    """A revoked token stops working; other tokens of the account keep working."""
    other = services.issue_token(email="budi@contoh.id", password="rahasia-panjang-1")
    services.revoke_token(token=token)
    assert services.user_for_token(token) is None
    assert services.user_for_token(other) == account


@pytest.mark.parametrize("token", ["", "nonsense", "x" * 500])
def test_an_unknown_token_authenticates_no_one(db, token):
    """An empty, unknown or absurdly long token authenticates no one."""
    assert services.user_for_token(token) is None


def test_a_deactivated_account_cannot_use_its_token(account, token):
    """Switching an account off stops its tokens."""
    account.is_active = False
    account.save()
    assert services.user_for_token(token) is None


def test_the_create_account_command_makes_a_verified_account(db, capsys):
    """Assisted registration at the office: the account can log in at once."""
    call_command("create_account", "Tono@Contoh.id", "--password", "tono-rahasia-1", "--name", "T")
    user = User.objects.get(email="tono@contoh.id")
    assert user.is_verified and user.full_name == "T"
    assert "tono@contoh.id" in capsys.readouterr().out
    assert services.issue_token(email="tono@contoh.id", password="tono-rahasia-1")
    assert AuditEvent.objects.filter(
        action="account.created_assisted", actor_label="command"
    ).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x@contoh.id", "--password", "short"], "8 characters"),
        (["not-an-email", "--password", "long-enough-1"], "e-mail"),
        (["budi@contoh.id", "--password", "long-enough-1"], "already exists"),
    ],
)
def test_the_create_account_command_explains_refusals(account, args, message):
    """A short password, a bad address or a taken one stop the command with a message."""
    with pytest.raises(CommandError) as exc:
        call_command("create_account", *args)
    assert message in str(exc.value)
    assert User.objects.count() == 1


def save(account, serial: int, **overrides):
    birth = overrides.pop("birth_date", dt.date(1990, 5, 12))
    fields = {
        "nik": make_nik(birth, serial=serial),
        "name": f"Orang {serial}",
        "birth_date": birth,
        "sex": "M",
        "phone": "081234567890",
        "domicile_regency": "32.15",
        "today": TODAY,
    }
    fields.update(overrides)
    with transaction.atomic():
        return services.save_applicant(account=account, **fields)


def test_an_account_applies_for_up_to_five_people(account):
    """Five people fit on an account; the sixth is refused."""
    people = [save(account, serial) for serial in range(1, 6)]
    assert [p.position for p in people] == [1, 2, 3, 4, 5]
    with pytest.raises(services.ApplicantLimitReached):
        save(account, 6)
    assert account.applicants.count() == 5


def test_saving_a_known_nik_updates_the_person(account):
    """The same NIK again updates the person rather than adding one (even with five)."""
    for serial in range(1, 6):
        save(account, serial)
    updated = save(account, 3, name="Nama Baru", phone="+6281234567890")
    assert updated.position == 3
    assert updated.name == "Nama Baru"
    assert account.applicants.count() == 5
    event = AuditEvent.objects.get(action="applicant.updated")
    assert event.before["name"] == "Orang 3"
    assert event.after == {"name": "Nama Baru", "phone": "+6281234567890"}


def test_saving_the_same_person_unchanged_records_nothing(account):
    """Saving a person with nothing changed writes no audit event."""
    save(account, 1)
    save(account, 1)
    assert not AuditEvent.objects.filter(action="applicant.updated").exists()


def test_a_freed_position_is_reused(account):
    """When a person is removed, the next one takes the free position."""
    for serial in range(1, 6):
        save(account, serial)
    Applicant.objects.get(account=account, position=2).delete()
    assert save(account, 7).position == 2


def test_the_database_holds_the_cap_of_five(account):
    """A sixth position or a second person in one position is refused by the database."""
    save(account, 1)
    base = {
        "account": account,
        "name": "X",
        "birth_date": dt.date(1990, 5, 12),
        "sex": "M",
        "phone": "081234567890",
        "domicile_regency": "3215",
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Applicant.objects.create(position=6, nik=make_nik(dt.date(1990, 5, 12), serial=6), **base)
    with pytest.raises(IntegrityError), transaction.atomic():
        Applicant.objects.create(position=1, nik=make_nik(dt.date(1990, 5, 12), serial=7), **base)
    with pytest.raises(IntegrityError), transaction.atomic():
        Applicant.objects.create(position=2, nik="32150112059O0001", **base)


def test_the_domicile_is_kept_apart_from_the_nik_region(account):
    """Someone with a Karawang NIK living in Purwakarta keeps Purwakarta as domicile."""
    person = save(account, 1, domicile_regency="3214")
    assert person.nik.startswith("3215")
    assert person.domicile_regency == "3214"


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"nik": "1234"}, NikInvalid),
        ({"birth_date": dt.date(1990, 5, 12), "nik": make_nik(dt.date(1991, 5, 12))}, NikInvalid),
        ({"sex": "F"}, NikInvalid),  # the same code as a contradicting birth date
        ({"domicile_regency": "32.99"}, services.RegencyInvalid),
        ({"domicile_regency": "Karawang"}, services.RegencyInvalid),
        ({"name": ""}, InvalidInput),
        ({"phone": "0812"}, InvalidInput),
        ({"phone": "nomor saya"}, InvalidInput),
    ],
)
def test_a_person_with_invalid_details_is_refused(account, overrides, error):
    """Each detail of a person is checked, with a message that says what to enter."""
    with pytest.raises(error) as exc:
        save(account, 1, **overrides)
    assert str(exc.value)
    assert not account.applicants.exists()
