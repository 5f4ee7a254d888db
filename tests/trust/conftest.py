import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 takes seconds on a busy test machine; these tests are not about hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
