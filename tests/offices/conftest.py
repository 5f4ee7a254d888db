import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 takes seconds on a busy test machine; these tests are not about hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _messages_in_english():
    """Assertions read messages in the source language, whatever translations are compiled."""
    with translation.override("en"):
        yield
