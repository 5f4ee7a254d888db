"""Each app declares its own personal data; core only loops over the registry."""

from django.apps import apps

from loket.core import personal_data

PERSONAL_FIELDS = {"nik", "applicant_nik", "phone", "caller_phone", "collector_name"}


def test_the_retention_kinds_keep_their_order():
    """A retention run reports its kinds in the order it always has."""
    assert tuple(personal_data.KINDS) == (
        "bookings",
        "applicants",
        "waitlist_entries",
        "tickets",
        "pickups",
        "walk_ins",
        "outreach_participants",
        "outreach_contacts",
        "emergency_cases",
        "outbox_messages",
        "release_places",
    )


def test_every_app_with_personal_fields_registers_its_personal_data():
    """An app whose models hold a NIK, a phone or a collector's name says what it exports and
    how it anonymises (a new app that forgets fails here)."""
    holders = {
        model._meta.app_label
        for model in apps.get_models()
        if model.__module__.startswith("loket.")
        and PERSONAL_FIELDS & {f.name for f in model._meta.get_fields()}
    }
    registered = {provider.app for provider in personal_data.providers()}
    assert holders - registered == set()
