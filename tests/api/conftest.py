import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 takes seconds on a busy test machine; these tests are not about hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _ledger_matches_bookings_after_each_test(request):
    """Whatever a test did, every ledger row ends up counting exactly its active bookings."""
    uses_db = "db" in request.fixturenames
    if uses_db:
        request.getfixturevalue("db")  # set up first, so it is torn down after this check
    yield
    if uses_db:
        from tests.helpers import assert_ledger_matches_bookings

        assert_ledger_matches_bookings()
