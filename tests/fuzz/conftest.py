import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 takes seconds on a busy test machine; the fuzz run is not about hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _rate_limits_on(settings):
    """The fuzz run goes through the throttles as production does (they read the body first:
    the per-NIK one parses it). Counts are cleared at each call (`fresh_limits`) so that the
    inputs reach the operations instead of a 429."""
    settings.LOKET_RATE_LIMITS_ENABLED = True


def fresh_limits():
    from django.core.cache import cache

    cache.clear()
