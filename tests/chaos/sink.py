"""The chaos tests' mailbox: an e-mail backend that keeps one file per Message-ID.

A receiver that honours the delivery key: a message sent again with the same Message-ID (the
worker was killed after sending, before marking it sent) replaces its own file instead of adding
a second one. Every attempt is also appended to `attempts.log`, so a test can tell how many
resends the receiver absorbed. LOKET_CHAOS_SINK_DELAY seconds pass after each write (a slow mail
server's goodbye), which is where a kill lands between "sent" and "marked sent".
"""

import os
import re
import time
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

ATTEMPTS_LOG = "attempts.log"


def file_name(message_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9.@_-]", "_", message_id.strip("<> ")) + ".eml"


class OneFilePerMessageId(BaseEmailBackend):
    def send_messages(self, email_messages):
        directory = Path(settings.EMAIL_FILE_PATH)
        directory.mkdir(parents=True, exist_ok=True)
        delay = float(os.environ.get("LOKET_CHAOS_SINK_DELAY", "0"))
        for email in email_messages:
            message = email.message()
            message_id = message["Message-ID"]
            path = directory / file_name(message_id)
            temporary = path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_bytes(message.as_bytes())
            os.replace(temporary, path)  # a repeat replaces the first copy
            with open(directory / ATTEMPTS_LOG, "a") as log:
                log.write(f"{message_id}\n")
            time.sleep(delay)
        return len(email_messages)
