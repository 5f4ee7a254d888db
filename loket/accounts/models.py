from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """An account: an applicant (who may apply for up to 5 people) or a staff member."""

    email = models.EmailField(_("e-mail"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    is_staff = models.BooleanField(_("staff"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    email_verified_at = models.DateTimeField(_("e-mail verified at"), null=True, blank=True)
    date_joined = models.DateTimeField(_("joined"), auto_now_add=True)
    # Raised to end every session of the account but the current one (see sessions.py).
    session_generation = models.PositiveIntegerField(_("session generation"), default=0)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")

    def __str__(self) -> str:
        return self.email

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    def _get_session_auth_hash(self, secret=None):
        """Django's digest of the password, with the session generation mixed in once raised:
        a session whose digest no longer matches is ended on its next request. Generation 0
        keeps Django's digest, so no session ends when this is deployed."""
        if not self.session_generation:
            return super()._get_session_auth_hash(secret=secret)
        from django.utils.crypto import salted_hmac

        return salted_hmac(
            "loket.accounts.session",
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


SEX_CHOICES = [("M", _("male")), ("F", _("female"))]


class Applicant(models.Model):
    """A person an account applies for. `position` 1..5 holds the cap in the database."""

    account = models.ForeignKey(User, on_delete=models.CASCADE, related_name="applicants")
    position = models.PositiveSmallIntegerField()
    nik = models.CharField("NIK", max_length=16)
    name = models.CharField(_("name"), max_length=150)
    birth_date = models.DateField(_("birth date"))
    sex = models.CharField(_("sex"), max_length=1, choices=SEX_CHOICES)
    phone = models.CharField(_("phone"), max_length=20)
    domicile_regency = models.CharField(
        _("regency of domicile (KTP)"), max_length=4, help_text="e.g. 3215 (Kab. Karawang)"
    )
    married = models.BooleanField(_("married"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["account_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "nik"], name="applicant_unique_nik_per_account"
            ),
            models.UniqueConstraint(
                fields=["account", "position"], name="applicant_unique_position_per_account"
            ),
            models.CheckConstraint(
                condition=Q(position__gte=1)
                & Q(position__lte=settings.LOKET_MAX_APPLICANTS_PER_ACCOUNT),
                name="applicant_position_within_cap",
            ),
            models.CheckConstraint(condition=Q(sex__in=["M", "F"]), name="applicant_sex_valid"),
            models.CheckConstraint(
                condition=Q(nik__regex=r"^[0-9]{16}$"), name="applicant_nik_digits"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.account})"


def password_stamp(password_hash: str) -> str:
    """A keyed digest of the account's password hash, kept with each token: a changed or reset
    password (by any path: the website, the admin, a command) no longer matches it, so every
    token issued before stops working without a hook on each path."""
    from django.utils.crypto import salted_hmac

    return salted_hmac("loket.accounts.token", password_hash or "").hexdigest()[:32]


class ApiTokenManager(models.Manager):
    def active_user(
        self, digest: str, *, idle_since, touch_before
    ) -> "tuple[User, int, bool] | None":
        """(account, token id, due for a last-used write) of a usable token, in one statement.

        Usable: not revoked, used (or issued) after `idle_since`, and issued under the account's
        current password. Due: last used before `touch_before`. Called on every API request:
        plain SQL skips the ORM's query compilation, which cost as much as the rest of a
        refused booking (see `python -m bench.profile`).
        """
        from django.db import connections

        fields = User._meta.concrete_fields
        columns = ", ".join(f'u."{f.column}"' for f in fields)
        sql = (
            f'SELECT {columns}, t."id", t."password_stamp", '
            'CASE WHEN t."last_used_at" < %s THEN 1 ELSE 0 END '
            f'FROM "{self.model._meta.db_table}" t '
            f'JOIN "{User._meta.db_table}" u ON u."id" = t."user_id" '
            'WHERE t."digest" = %s AND t."revoked_at" IS NULL AND t."last_used_at" > %s LIMIT 1'
        )
        db = self.db
        ops = connections[db].ops
        params = [
            ops.adapt_datetimefield_value(touch_before),
            digest,
            ops.adapt_datetimefield_value(idle_since),
        ]
        with connections[db].cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        n = len(fields)
        user = User.from_db(db, [f.attname for f in fields], row[:n])
        token_id, stamp, due = row[n:]
        if stamp != password_stamp(user.password):
            return None
        return user, token_id, bool(due)


class ApiToken(models.Model):
    """A bearer token for API clients. Only its SHA-256 digest is stored (the token is 32
    random bytes, so a plain SHA-256 suffices: no slow hash per request).

    It ends when revoked (log-out, the account's "devices and tokens" page, closing the
    account), when unused for LOKET_TOKEN_IDLE_DAYS, or when the password changes (its
    `password_stamp` no longer matches). `last_used_at` is written at most once per
    TOKEN_TOUCH_INTERVAL, so a busy client does not write on every request.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    label = models.CharField(_("device"), max_length=100, blank=True)
    password_stamp = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenManager()

    class Meta:
        indexes = [models.Index(fields=["user", "-last_used_at"], name="apitoken_user_recent")]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_used_at__gte=models.F("created_at")),
                name="apitoken_used_after_issued",
            )
        ]

    def __str__(self) -> str:
        return f"token {self.pk} of {self.user}"


class EmailVerification(models.Model):
    """A one-time code sent by e-mail to verify an account. Only a hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="verifications")
    code_hash = models.CharField(max_length=128)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"verification of {self.user_id}"
