import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 takes seconds on a busy test machine; the fuzz run is not about hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
