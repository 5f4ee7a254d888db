"""Who owns what (README, "The office node"): ownership decides every conflict.

The central site owns online places, bookings' existence and cancellation, payments, accounts
and configuration, and an emergency case's existence, data and decision. The office owns its
walk-in lanes, its day's queue (tickets, their events, issuance, BAP cases, counters' sign-ins)
and what its desk did to a booking or an emergency case once the person stood there (checked
in, completed, no-show; a case's ticket).
"""

from loket.booking.models import BookingStatus
from loket.offices.models import ChannelKind

ROLE_CENTRAL = "central"
ROLE_OFFICE = "office"

# Booking statuses only the office sets: the person was at the desk.
# (Plain strings: an enum member hashes by its name, so a row's value would not be found.)
OFFICE_STATUSES = frozenset(
    s.value for s in (BookingStatus.CHECKED_IN, BookingStatus.COMPLETED, BookingStatus.NO_SHOW)
)

# An emergency case's fields the office writes: the desk's check-in links the ticket.
OFFICE_CASE_FIELDS = ("ticket",)
# The central decision on a case: a pushed row that differs here was never sent by the
# central site (a decision is final once made) and is refused.
CENTRAL_CASE_DECISION = ("status", "service_date", "code", "office")

# Channels whose places the office hands out itself (its walk-in lanes and examinations).
OFFICE_CHANNEL_KINDS = frozenset(
    k.value
    for k in (
        ChannelKind.PRIORITY,
        ChannelKind.LOST_DAMAGED,
        ChannelKind.EMERGENCY,
        ChannelKind.SIMPATIK,
        ChannelKind.BAP,
    )
)

# Tables the node writes, captured by its triggers, with the operations that are captured.
# "insert" tables hold rows only the office creates: their ids come from the office's own range.
NODE_TABLES: dict[str, tuple[str, str]] = {
    # table: (model label, captured operations)
    "queue_ticket": ("queue.ticket", "IU"),
    "queue_ticketevent": ("queue.ticketevent", "IU"),
    "queue_ticketsequence": ("queue.ticketsequence", "IU"),
    "queue_issuance": ("queue.issuance", "IU"),
    "queue_bapcase": ("queue.bapcase", "IU"),
    "queue_countersignin": ("queue.countersignin", "IU"),
    "booking_bookingevent": ("booking.bookingevent", "I"),
    "core_auditevent": ("core.auditevent", "I"),
    "booking_booking": ("booking.booking", "U"),
    # The desk's check-in of an emergency case (its ticket); the case itself is central.
    "outreach_emergencycase": ("outreach.emergencycase", "U"),
    "capacity_capacityslot": ("capacity.capacityslot", "IU"),
    "capacity_liveplace": ("capacity.liveplace", "IUD"),
    "capacity_channelmove": ("capacity.channelmove", "I"),
    # A supervisor's closing of a flag (the flags themselves are raised centrally).
    "sync_syncflag": ("sync.syncflag", "U"),
}

# Rows only the office creates: on the node their ids start at office id x ID_RANGE, so they
# keep their id at the central site. A SQLite central site moves its own ids of these tables
# above every office's range (CENTRAL_ID_FLOOR) before it stores a node's row.
OFFICE_CREATED_TABLES = (
    "queue_ticket",
    "queue_ticketevent",
    "queue_ticketsequence",
    "queue_issuance",
    "queue_bapcase",
    "queue_countersignin",
    "booking_bookingevent",
    "core_auditevent",
    "capacity_channelmove",
)
# A slot the node had to create (a day past what the central site sent) also takes an id from
# the office's range; the central site keeps it (known limit: a SQLite central site that stores
# one then numbers its own new slots after it).
NODE_ID_TABLES = (*OFFICE_CREATED_TABLES, "capacity_capacityslot")
ID_RANGE = 10**12
CENTRAL_ID_FLOOR = 10**15


def office_id_base(office_pk: int) -> int:
    return office_pk * ID_RANGE
