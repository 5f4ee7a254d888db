from django.conf import settings

from loket.core import clock


def training(request) -> dict:
    """`training_day`: the day training mode runs on (staff pages show a banner), or None;
    `training_available`: whether training mode may be started here (never in production)."""
    return {
        "training_day": clock.training_day(),
        "training_available": not settings.PRODUCTION,
    }
