# The staff pages are tried on a set-up office day (the queue's fixtures).
from tests.queue.conftest import desk, fast_passwords, queue_office, supervisor  # noqa: F401
