from django import template

from loket.sync.feed import is_office_node

register = template.Library()


@register.inclusion_tag("sync/banner.html")
def sync_banner():
    """On an office node: whether the central site is reachable, and since when it is not."""
    if not is_office_node():
        return {"node": False}
    from django.conf import settings
    from django.urls import reverse
    from django.utils import timezone

    from loket.sync.client import offline_since, pending_count
    from loket.sync.models import SyncFlag

    since = offline_since()
    return {
        "node": True,
        "offline_since": timezone.localtime(since) if since else None,
        "pending": pending_count(),
        "flags": SyncFlag.objects.filter(resolved_at__isnull=True).count(),
        "flags_url": reverse("sync:flags", kwargs={"office_code": settings.LOKET_OFFICE_CODE})
        if settings.LOKET_OFFICE_CODE
        else "",
    }
