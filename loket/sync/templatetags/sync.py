from django import template

from loket.sync.feed import is_office_node

register = template.Library()


@register.inclusion_tag("sync/banner.html")
def sync_banner():
    """On an office node: whether the central site is reachable, and since when it is not."""
    if not is_office_node():
        return {"node": False}
    from loket.sync.client import offline_since, pending_count

    return {"node": True, "offline_since": offline_since(), "pending": pending_count()}
