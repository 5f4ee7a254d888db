"""Ending an account's other sessions (a new password, two-factor login turned on or off).

Django ends a session whose stored digest of the account (`get_session_auth_hash`) no longer
matches, on that session's next request, whatever the session backend. A new password changes
the digest by itself; `end_other_sessions` changes it by raising the account's session
generation, and `keep_this_session` stores the new digest in the session that asked.
"""

from django.contrib.auth import update_session_auth_hash
from django.db.models import F

from loket.accounts.models import User


def end_other_sessions(*, user: User) -> None:
    """Every session of `user` ends at its next request (the current one too, unless the view
    then calls `keep_this_session`)."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])


def keep_this_session(request) -> None:
    """The session of this request goes on (under a new key) after its account's change."""
    request.user.refresh_from_db(fields=["password", "session_generation"])
    update_session_auth_hash(request, request.user)
