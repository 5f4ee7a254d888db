"""What feeds the central site's change feed, in the transaction of the change."""

from django.conf import settings
from django.db.models.signals import post_delete

from loket.sync.feed import BOOKING, CONFIG, EMERGENCY_CASE, record_change


def booking_changed(event) -> None:
    booking = event.booking
    record_change(office_id=booking.office_id, model=BOOKING, object_pk=str(booking.pk))


def emergency_case_changed(event) -> None:
    """A case recorded or decided at the hotline: the office's node takes it."""
    case = event.case
    record_change(office_id=case.office_id, model=EMERGENCY_CASE, object_pk=str(case.pk))


def config_models() -> list:
    from loket.offices.models import (
        ArrivalWindow,
        CapacityOverride,
        Channel,
        Closure,
        Office,
        WeekdayCapacity,
        WorkingAreaRegency,
    )
    from loket.queue.models import Counter, Lane, QueueSettings, Stage
    from loket.staff.models import StaffMembership

    return [
        Office,
        Channel,
        WeekdayCapacity,
        WorkingAreaRegency,
        ArrivalWindow,
        CapacityOverride,
        Closure,
        Stage,
        Lane,
        Counter,
        QueueSettings,
        StaffMembership,
    ]


def _office_id(instance) -> int | None:
    if type(instance).__name__ == "Office":
        return instance.pk
    if hasattr(instance, "office_id"):
        return instance.office_id
    channel = getattr(instance, "channel", None)
    return getattr(channel, "office_id", None)


def config_saved(sender, instance, raw=False, **kwargs) -> None:
    """An office's configuration changed (admin, a command; saved or deleted): its node takes
    it again. Saves made by the replication itself (raw) are not changes."""
    office_id = _office_id(instance)
    if raw or office_id is None:
        return
    record_change(office_id=office_id, model=CONFIG, object_pk="-")


def staff_account_saved(sender, instance, raw=False, **kwargs) -> None:
    """A staff account changed (a new password, switched off): the nodes of its offices take
    it again, so nobody keeps at the node a login the central site took away."""
    update_fields = kwargs.get("update_fields")
    if raw or instance.pk is None or not settings.LOKET_SYNC_KEYS:
        return
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    for office_id in instance.staff_memberships.values_list("office_id", flat=True):
        record_change(office_id=office_id, model=CONFIG, object_pk="-")


def two_factor_device_changed(sender, instance, raw=False, created=False, **kwargs) -> None:
    """A staff member's two-factor device was confirmed (turned on) or removed (turned off, a
    lost phone deleted in the admin): the nodes of their offices take it again. A code checked
    at the central site saves the device too (its last code, its drift): not a change."""
    if raw or not settings.LOKET_SYNC_KEYS or not instance.confirmed:
        return
    deleted = kwargs.get("signal") is post_delete
    update_fields = kwargs.get("update_fields")
    if not (deleted or created or (update_fields and "confirmed" in update_fields)):
        return
    from loket.staff.models import StaffMembership

    memberships = StaffMembership.objects.filter(user_id=instance.user_id)
    for office_id in memberships.values_list("office_id", flat=True):
        record_change(office_id=office_id, model=CONFIG, object_pk="-")
