"""Typed events of the emergency hotline, emitted inside the transaction of the change, for
higher floors to react to (the central site's feed to an office node, loket.sync)."""

from dataclasses import dataclass

from loket.outreach.models import EmergencyCase


@dataclass(frozen=True)
class EmergencyCaseChanged:
    """A case was recorded or decided (approved for a day, or rejected)."""

    case: EmergencyCase
