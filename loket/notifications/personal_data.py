"""What the outbox holds about people: recipients and message texts. A message's case closes
when it was sent or given up on; then its recipient and text go."""

import datetime as dt

from django.db.models import Q

from loket.core.personal_data import ANONYMISED_NAME, PersonalData, RetentionKind
from loket.notifications.models import OutboxMessage


def messages_due(*, cutoff: dt.datetime):
    """Messages sent (or given up on) before the cutoff."""
    return OutboxMessage.objects.filter(Q(sent_at__lt=cutoff) | Q(failed_at__lt=cutoff)).exclude(
        body=ANONYMISED_NAME
    )


def anonymise_messages(*, rows, run) -> int:
    return OutboxMessage.objects.filter(pk__in=list(rows.values_list("pk", flat=True))).update(
        recipient="", subject="", body=ANONYMISED_NAME, last_error=""
    )


PERSONAL_DATA = PersonalData(
    app="notifications",
    retention_rank=60,
    kinds=(RetentionKind("outbox_messages", messages_due, anonymise_messages),),
)
