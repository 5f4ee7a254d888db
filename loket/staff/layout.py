"""The staff pages' shared layout (templates/staff/base.html): banners other apps show on
every staff page, registered in their AppConfig.ready() (the office node's "offline since"
banner). Staff knows none of them."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Banner:
    template: str
    context: Callable[[], dict]  # what the template needs, read when a page is drawn


_banners: dict[str, Banner] = {}


def register_banner(name: str, *, template: str, context: Callable[[], dict]) -> None:
    """Show `template` at the top of every staff page (again under `name`: replaced)."""
    _banners[name] = Banner(template, context)


def banners() -> list[Banner]:
    return list(_banners.values())
