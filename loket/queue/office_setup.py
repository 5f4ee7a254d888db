"""An office's queue set-up: its stages, lanes, counters and settings."""

from collections.abc import Iterable

from django.db import transaction

from loket.offices.models import Channel, Office
from loket.queue.models import Counter, Lane, LaneKind, QueueSettings, Stage

DEFAULT_STAGES = [
    # code, name, final, interview
    ("document_check", "Pemeriksaan berkas", False, False),
    ("photo_interview", "Foto dan wawancara", False, True),
    ("payment", "Pembayaran", False, False),
    ("done", "Selesai", True, False),
]


DEFAULT_LANES = [
    # kind, prefix, name, capacity channel code
    (LaneKind.APPOINTMENT, "A", "Janji temu online", None),
    (LaneKind.LOST_DAMAGED, "B", "Paspor hilang/rusak", "lost-damaged"),
    (LaneKind.EMERGENCY, "D", "Layanan darurat", None),
    (LaneKind.PRIORITY, "P", "Layanan prioritas", "priority"),
]


def get_queue_settings(office: Office) -> QueueSettings:
    settings = QueueSettings.objects.filter(office=office).first()
    return settings if settings is not None else QueueSettings(office=office)


@transaction.atomic
def ensure_office_queue(*, office: Office) -> None:
    """Create the default stages, lanes and settings of an office; existing rows stay."""
    QueueSettings.objects.get_or_create(office=office)
    if not Stage.objects.filter(office=office).exists():
        for order, (code, name, final, interview) in enumerate(DEFAULT_STAGES, start=1):
            Stage.objects.create(
                office=office,
                code=code,
                name=name,
                order=order * 10,
                is_final=final,
                records_interview=interview,
            )
    for kind, prefix, name, channel_code in DEFAULT_LANES:
        if Lane.objects.filter(office=office, kind=kind).exists():
            continue
        channel = (
            Channel.objects.filter(office=office, code=channel_code).first()
            if channel_code
            else None
        )
        Lane.objects.create(office=office, kind=kind, prefix=prefix, name=name, channel=channel)


@transaction.atomic
def save_counter(
    *,
    office: Office,
    number: int,
    stage_codes: Iterable[str] | None = None,
    lane_kinds: Iterable[str] | None = None,
    name: str = "",
) -> Counter:
    """Create or update a counter; None for stages or lanes means all of them."""
    counter, _created = Counter.objects.update_or_create(
        office=office, number=number, defaults={"name": name or f"Loket {number}"}
    )
    stages = Stage.objects.filter(office=office, is_final=False)
    if stage_codes is not None:
        stages = stages.filter(code__in=list(stage_codes))
    lanes = Lane.objects.filter(office=office)
    if lane_kinds is not None:
        lanes = lanes.filter(kind__in=list(lane_kinds))
    counter.stages.set(stages)
    counter.lanes.set(lanes)
    return counter
