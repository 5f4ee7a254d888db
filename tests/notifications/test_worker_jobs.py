"""The background worker runs the jobs the apps register, in a fixed order."""

from loket.notifications.jobs import jobs


def test_a_round_expires_holds_and_offers_then_reminds_then_delivers():
    """Holds, lapsed offers and lapsed live places end before reminders are queued and the
    outbox sent, and the worker's log line names them in that order."""
    assert [job.report for job in jobs()] == [
        "expired {count} hold(s)",
        "{count} waiting-list offer(s)",
        "{count} lapsed live place(s)",
        "reminded {count} booking(s)",
        "delivered {count} message(s)",
    ]
