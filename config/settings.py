"""Loket settings: one file, driven by environment variables (see README, "Configuration")."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("LOKET_DATA_DIR", BASE_DIR / "data"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("LOKET_DEBUG", True)
PRODUCTION = env_bool("LOKET_PRODUCTION", False)

_DEV_SECRET = "dev-only-insecure-secret-key-change-me"
SECRET_KEY = os.environ.get("LOKET_SECRET_KEY", _DEV_SECRET)
PAYMENT_SECRET = os.environ.get("LOKET_PAYMENT_SECRET", "dev-payment-secret")
if PRODUCTION:
    DEBUG = False
    if SECRET_KEY.strip() in ("", _DEV_SECRET) or PAYMENT_SECRET.strip() in (
        "",
        "dev-payment-secret",
    ):
        raise ImproperlyConfigured(
            "LOKET_PRODUCTION is set: LOKET_SECRET_KEY and LOKET_PAYMENT_SECRET must be set."
        )

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("LOKET_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "loket.core",
    "loket.identity",
    "loket.accounts",
    "loket.offices",
    "loket.staff",
    "loket.capacity",
    "loket.booking",
    "loket.notifications",
    "loket.queue",
    "loket.outreach",
    "loket.reports",
    "loket.waitlist",
    "loket.release",
    "loket.web",
    "loket.demo",
    "loket.sync",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # API errors are JSON {code, detail}, even Django's own (too large a body, 404, 500).
    "loket.core.api_errors.ApiErrorMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "loket.core.middleware.IndonesianFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Staff: idle time-out on shared PCs, two-factor login once turned on.
    "loket.staff.session.StaffSessionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # On an office node (LOKET_ROLE=office), online booking is refused: it stays central.
    "loket.sync.middleware.OfficeNodeMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "loket" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: the embedded SQLite file by default; DATABASE_URL switches (e.g. to PostgreSQL).
SQLITE_PATH = DATA_DIR / "loket.sqlite3"
_database_url = os.environ.get("DATABASE_URL", "").strip()
if _database_url:
    DATABASES = {
        "default": dj_database_url.parse(
            _database_url,
            conn_max_age=int(os.environ.get("LOKET_DB_CONN_MAX_AGE", "60")),
            conn_health_checks=True,
        )
    }
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": {
                # Writers queue for the lock instead of failing with "database is locked".
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, not memory: concurrency tests open several connections to it.
            "TEST": {"NAME": str(DATA_DIR / "test.sqlite3")},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Language: Bahasa Indonesia first, English beside it.
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "loket" / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Jakarta"

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("LOKET_STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Cache: Redis when configured (shared by several app processes), in-process otherwise.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's, reusing its client object (loket/core/redis_cache.py).
            "BACKEND": "loket.core.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# "This window is full" answered from the cache without touching the ledger: only with a cache
# every process shares (an in-process flag would outlive a place freed by another process).
LOKET_FULL_FLAG = bool(REDIS_URL)

EMAIL_BACKEND = os.environ.get(
    "LOKET_EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend"
    if not PRODUCTION
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = DATA_DIR / "mail"
EMAIL_HOST = os.environ.get("LOKET_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("LOKET_EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("LOKET_FROM_EMAIL", "Loket <no-reply@loket.local>")

LOGIN_URL = "web:login"
# The demo's "simulate payment" button (signed like a gateway's notice); off in production.
LOKET_DEMO_PAYMENTS = env_bool("LOKET_DEMO_PAYMENTS", not PRODUCTION)

# Booking rules that are not per-office configuration.
LOKET_MAX_APPLICANTS_PER_ACCOUNT = 5
LOKET_VERIFICATION_CODE_MINUTES = 30
# Identity check before booking (NIK + name + birth date, like the population registry's):
# a class with check(nik=, name=, birth_date=) -> bool. The local registry answers from its own
# table; LOKET_IDENTITY_LOCAL_ENROL lets it learn an unknown NIK from its first booking
# (development and tests; off in production, where an office plugs in the real registry).
LOKET_IDENTITY_VERIFIER = os.environ.get(
    "LOKET_IDENTITY_VERIFIER", "loket.identity.registry.LocalRegistry"
)
LOKET_IDENTITY_LOCAL_ENROL = env_bool("LOKET_IDENTITY_LOCAL_ENROL", not PRODUCTION)
# A no-show's payment is listed for refund too (off: the place was held for them all day).
LOKET_REFUND_NO_SHOWS = env_bool("LOKET_REFUND_NO_SHOWS", False)
# Staff sessions (not applicants', not the kiosk's) end after this many idle minutes.
LOKET_STAFF_IDLE_MINUTES = int(os.environ.get("LOKET_STAFF_IDLE_MINUTES", "30"))
# ... and at the latest this many hours after logging in (a working day), however active.
LOKET_STAFF_SESSION_HOURS = int(os.environ.get("LOKET_STAFF_SESSION_HOURS", "12"))
# The issuer name shown in authenticator apps for two-factor login.
LOKET_OTP_ISSUER = os.environ.get("LOKET_OTP_ISSUER", "Loket")
OTP_TOTP_ISSUER = LOKET_OTP_ISSUER
# API tokens end after this many days without use (and on log-out, revocation, a new password).
LOKET_TOKEN_IDLE_DAYS = int(os.environ.get("LOKET_TOKEN_IDLE_DAYS", "30"))
# How long a waiting-list offer holds its place before it passes to the next person.
LOKET_WAITLIST_OFFER_MINUTES = int(os.environ.get("LOKET_WAITLIST_OFFER_MINUTES", "120"))

# --- Security: headers, cookies, content security policy (`manage.py check --deploy` clean) ---
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("LOKET_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("LOKET_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content security policy (django-csp): only this site's own scripts, styles, images (and data:
# images), no framing, forms post here only. Enforced: no page carries inline script or style
# (tests/browser fail on any violation the browser reports). LOKET_CSP_ENFORCE=0 turns it back
# to report-only (the browser logs what it would block, blocks nothing).
INSTALLED_APPS += ["csp"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "csp.middleware.CSPMiddleware",
)
LOKET_CSP_ENFORCE = env_bool("LOKET_CSP_ENFORCE", True)
_csp = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if LOKET_CSP_ENFORCE:
    CONTENT_SECURITY_POLICY = _csp
else:
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _csp

# Personal data: bookings closed (completed, cancelled, expired, no-show) longer ago than this
# are anonymised by `manage.py anonymise_closed_cases` (see README, "Personal data").
LOKET_RETENTION_DAYS = int(os.environ.get("LOKET_RETENTION_DAYS", "730"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every record is masked (NIK, phone numbers) before any handler writes it.
    "filters": {"mask_personal_data": {"()": "loket.core.masking.MaskingFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["mask_personal_data"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOKET_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

# --- Abuse resistance ---
import sys  # noqa: E402

# Account lockout (django-axes): N failed logins for one (e-mail, IP) lock that pair for M
# minutes, on the website and on POST /api/v1/auth/token. Attempts are kept in the database,
# so several app processes share them.
INSTALLED_APPS += ["loket.web.apps.AxesConfig"]  # django-axes, with a translated heading
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
# Last, so it sees a view's database failure first: a calm 503 + Retry-After, never a 500.
MIDDLEWARE.append("loket.release.middleware.OverloadMiddleware")
AUTHENTICATION_BACKENDS = [
    "loket.web.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Reverse proxies in front of the app (each appends to X-Forwarded-For); 0: the header is
# ignored. Rate limits (website and API) and the lockout count the client's address from it.
LOKET_TRUSTED_PROXIES = int(os.environ.get("LOKET_TRUSTED_PROXIES", "0"))
AXES_CLIENT_IP_CALLABLE = "loket.core.client_ip.client_ip"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = int(os.environ.get("LOKET_LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("LOKET_LOCKOUT_MINUTES", "15")) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Accounts log in by e-mail, passed to authenticate() as `username` (forms and API alike).
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "loket.web.lockout.login_username"
AXES_LOCKOUT_CALLABLE = "loket.web.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
# A lockout ends M minutes after it began, however often the locked pair tries again.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_VERBOSE = False
# No row per successful log-in: only failures are kept, and only as long as they count.
AXES_DISABLE_ACCESS_LOG = True

# Rate limits, read at request time: "count/period" (s, m, h, d) per scope. The API (through
# django-ninja's throttling), the website and the kiosk all count with loket.core.ratelimit:
# fixed windows in CACHES, one round trip a request (Redis when REDIS_URL is set, so every app
# process shares the counts).
# Override one with LOKET_RATE_<SCOPE>, e.g. LOKET_RATE_API_BOOKING=60/m.
LOKET_RATE_LIMITS = {
    # API, per client IP
    "api_token": "20/m",
    "api_register": "10/h",
    "api_verify": "20/m",
    "api_resend": "5/h",
    # API, per account (never per IP: many accounts may share one address)
    "api_booking": "30/m",
    "api_release": "60/m",  # the fair-release waiting room (join, my place)
    # API, per NIK in the body and per client IP (generous: offices and cafés share addresses)
    "api_booking_nik": "10/m",
    "api_booking_ip": "600/m",
    # Website
    "web_login": "20/m",  # per IP
    "web_register": "10/h",  # per IP
    "web_verify": "20/m",  # per IP
    "web_resend": "5/h",  # per IP
    "web_booking": "30/m",  # per account
}
for _scope in LOKET_RATE_LIMITS:
    LOKET_RATE_LIMITS[_scope] = os.environ.get(
        f"LOKET_RATE_{_scope.upper()}", LOKET_RATE_LIMITS[_scope]
    )
# Off under the test runner unless a test switches them on (its counts would otherwise leak
# from test to test through the cache); on everywhere else unless LOKET_RATE_LIMITS_ENABLED=0.
LOKET_RATE_LIMITS_ENABLED = env_bool("LOKET_RATE_LIMITS_ENABLED", "pytest" not in sys.modules)

# Notifications: the day-before reminder goes out from this hour (office time) on; SMS and
# WhatsApp messages are sent by this class (its send(message) raises to have it retried).
LOKET_REMINDER_HOUR = int(os.environ.get("LOKET_REMINDER_HOUR", "8"))
LOKET_SMS_SENDER = os.environ.get("LOKET_SMS_SENDER", "loket.notifications.services.LoggingSender")
# The HTTP JSON gateway sender (LOKET_SMS_SENDER=loket.notifications.gateway.HttpGatewaySender):
# POSTs {"to", "channel", "text", "reference"} to this URL with the token as a bearer token.
LOKET_SMS_GATEWAY_URL = os.environ.get("LOKET_SMS_GATEWAY_URL", "")
LOKET_SMS_GATEWAY_TOKEN = os.environ.get("LOKET_SMS_GATEWAY_TOKEN", "")
LOKET_SMS_GATEWAY_SENDER_ID = os.environ.get("LOKET_SMS_GATEWAY_SENDER_ID", "LOKET")
LOKET_SMS_GATEWAY_TIMEOUT = float(os.environ.get("LOKET_SMS_GATEWAY_TIMEOUT", "10"))
# Where the site is reached from outside: messages carry absolute links built on it.
LOKET_SITE_URL = os.environ.get("LOKET_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Training mode (README, "Training mode"): the clock runs on another day at the real time of
# day, so the office day can be practised on a weekend or holiday. "next-working-day" or a date
# YYYY-MM-DD; empty: off. Never with production data: refused with LOKET_PRODUCTION.
LOKET_TRAINING_DATE = os.environ.get("LOKET_TRAINING_DATE", "").strip().lower()
if LOKET_TRAINING_DATE:
    import datetime as _dt  # noqa: E402

    if PRODUCTION:
        raise ImproperlyConfigured("LOKET_TRAINING_DATE is for demo and training data only.")
    if LOKET_TRAINING_DATE != "next-working-day":
        try:
            _dt.date.fromisoformat(LOKET_TRAINING_DATE)
        except ValueError as _exc:
            raise ImproperlyConfigured(
                "LOKET_TRAINING_DATE is 'next-working-day' or a date YYYY-MM-DD."
            ) from _exc
TEMPLATES[0]["OPTIONS"]["context_processors"].append("loket.core.context_processors.training")

# Office nodes (README, "The office node"). A node: LOKET_ROLE=office, the central site's
# address, its office code and key. The central site: LOKET_SYNC_KEYS "KRW=key,...".
LOKET_ROLE = os.environ.get("LOKET_ROLE", "central").strip().lower()
if LOKET_ROLE not in ("central", "office"):
    raise ImproperlyConfigured("LOKET_ROLE is 'central' or 'office'.")
LOKET_CENTRAL_URL = os.environ.get("LOKET_CENTRAL_URL", "").strip()
LOKET_OFFICE_CODE = os.environ.get("LOKET_OFFICE_CODE", "").strip().upper()
LOKET_OFFICE_KEY = os.environ.get("LOKET_OFFICE_KEY", "").strip()
LOKET_SYNC_KEYS = os.environ.get("LOKET_SYNC_KEYS", "").strip()
LOKET_SYNC_HORIZON_DAYS = int(os.environ.get("LOKET_SYNC_HORIZON_DAYS", "14"))
LOKET_SYNC_INTERVAL = float(os.environ.get("LOKET_SYNC_INTERVAL", "1"))
LOKET_SYNC_TIMEOUT = float(os.environ.get("LOKET_SYNC_TIMEOUT", "5"))
LOKET_SYNC_OFFLINE_AFTER_SECONDS = int(os.environ.get("LOKET_SYNC_OFFLINE_AFTER_SECONDS", "30"))
if LOKET_ROLE == "office" and not (LOKET_CENTRAL_URL and LOKET_OFFICE_CODE and LOKET_OFFICE_KEY):
    raise ImproperlyConfigured(
        "LOKET_ROLE=office needs LOKET_CENTRAL_URL, LOKET_OFFICE_CODE and LOKET_OFFICE_KEY."
    )
if LOKET_ROLE == "office":
    # Cookies ignore the port: on one machine (the README's two ports) a node sharing the central
    # site's cookie names would log the browser out of the other site at each login.
    SESSION_COOKIE_NAME = "loket_node_sessionid"
    CSRF_COOKIE_NAME = "loket_node_csrftoken"
