"""The office node's side of the link: follow the central feed, push the office's changes.

`sync_once()` is one round (pull everything new, push everything pending); `run_sync` repeats
it every second. A failed round marks the node offline since the last success; the desk, the
counters and the board keep working on what the node holds, and the next good round catches up.
"""

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from loket.core import clock
from loket.offices.models import Office
from loket.sync.apply import apply_central_items
from loket.sync.capture import install_triggers, reserve_office_ids
from loket.sync.models import NodeChange, NodeState
from loket.sync.ownership import NODE_TABLES

logger = logging.getLogger(__name__)
PUSH_BATCH = 200


class LinkDown(Exception):
    pass


@dataclass
class Round:
    pulled: int = 0
    pushed: int = 0
    ok: bool = True
    error: str = ""


def _request(method: str, path: str, body: dict | None = None, *, key: str = "") -> dict:
    url = f"{settings.LOKET_CENTRAL_URL.rstrip('/')}/api/v1/sync/{settings.LOKET_OFFICE_CODE}{path}"
    data = json.dumps(body, cls=DjangoJSONEncoder).encode() if body is not None else None
    headers = {"Authorization": f"Office {settings.LOKET_OFFICE_KEY}", "Accept": "application/json"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    if key:
        headers["Idempotency-Key"] = key
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=settings.LOKET_SYNC_TIMEOUT) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as error:
        raise LinkDown(f"HTTP {error.code} {error.read()[:200]!r}") from error
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise LinkDown(str(error)[:200]) from error


def state() -> NodeState:
    found, _ = NodeState.objects.get_or_create(pk=1)
    return found


def bootstrap() -> int:
    """First contact: take the central snapshot, number the node's own rows from the office's
    range, switch the capture on. Returns the feed number to follow on from."""
    install_triggers()
    answer = _request("GET", "/snapshot")
    apply_central_items(answer["items"], pulled_seq=answer["seq"])
    office = Office.objects.get(code=settings.LOKET_OFFICE_CODE)
    with transaction.atomic():
        reserve_office_ids(office.pk)
        NodeState.objects.filter(pk=1).update(office_code=office.code)
    return len(answer["items"])


def pull() -> int:
    current = state()
    if current.pulled_seq is None:
        return bootstrap()
    count = 0
    after = current.pulled_seq
    while True:
        answer = _request("GET", f"/changes?after={after}")
        if answer["items"] or answer["last"] != after:
            apply_central_items(answer["items"], pulled_seq=answer["last"])
        count += len(answer["items"])
        after = answer["last"]
        if not answer["more"]:
            return count


_MODELS = {table: label for table, (label, _ops) in NODE_TABLES.items()}


def pending_changes(limit: int = PUSH_BATCH) -> list[dict]:
    """The node's next changes, oldest first, each with its row as it is now."""
    office = settings.LOKET_OFFICE_CODE
    changes = list(NodeChange.objects.filter(pk__gt=state().pushed_seq).order_by("pk")[:limit])
    out = []
    for change in changes:
        label = _MODELS[change.table]
        model = apps.get_model(label)
        obj = model.objects.filter(pk=change.row_id).first()
        fields = None
        if obj is not None and change.op != "D":
            fields = serializers.serialize("python", [obj])[0]["fields"]
        out.append(
            {
                "seq": change.pk,
                "key": f"{office}:{change.pk}",
                "model": label,
                "pk": change.row_id,
                "op": change.op,
                "holder": change.holder or (fields or {}).get("holder", ""),
                "fields": fields,
            }
        )
    return out


def push() -> int:
    count = 0
    while True:
        changes = pending_changes()
        if not changes:
            return count
        first, last = changes[0]["seq"], changes[-1]["seq"]
        key = f"{settings.LOKET_OFFICE_CODE}:{first}-{last}"
        answer = _request("POST", "/push", {"changes": changes}, key=key)
        applied = int(answer["applied_through"])
        with transaction.atomic():
            NodeState.objects.filter(pk=1).update(pushed_seq=applied)
            NodeChange.objects.filter(pk__lte=applied).delete()
        count += len(changes)
        if applied < last:
            raise LinkDown(f"the central site applied up to {applied} of {last}")


_capture_checked = False


def _capture_current() -> None:
    """Once per process: a node started by an older Loket gets the triggers of tables
    captured since (idempotent)."""
    global _capture_checked
    if not _capture_checked and state().pulled_seq is not None:
        install_triggers()
        _capture_checked = True


def sync_once() -> Round:
    result = Round()
    _capture_current()
    try:
        # The office's facts go first, so what comes down already reflects them.
        if state().pulled_seq is None:
            result.pulled = pull()
        result.pushed = push()
        result.pulled += pull()
    except LinkDown as error:
        result.ok, result.error = False, str(error)
    now = clock.now()
    if result.ok:
        NodeState.objects.filter(pk=1).update(last_ok_at=now, offline_since=None, last_error="")
    else:
        current = state()
        went_down = current.offline_since is None
        if went_down:
            current.offline_since = current.last_ok_at or now
        current.last_error = result.error[:300]
        current.save(update_fields=["offline_since", "last_error"])
        if went_down:  # once per outage, not at every round
            logger.warning("sync: link down: %s", result.error)
    return result


def offline_since():
    """Since when the node has lost the central site (None: online, or not a node)."""
    current = NodeState.objects.filter(pk=1).first()
    if current is None:
        return None
    if current.offline_since is not None:
        return current.offline_since
    if current.last_ok_at is not None:
        stale = (clock.now() - current.last_ok_at).total_seconds()
        if stale > settings.LOKET_SYNC_OFFLINE_AFTER_SECONDS:
            return current.last_ok_at
    return None


def pending_count() -> int:
    current = NodeState.objects.filter(pk=1).first()
    return NodeChange.objects.filter(pk__gt=current.pushed_seq if current else 0).count()
