from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from loket.staff.layout import banners

register = template.Library()


@register.simple_tag
def staff_banners() -> str:
    """The registered banners (loket/staff/layout.py), each drawn from its own template."""
    return mark_safe("".join(render_to_string(b.template, b.context()) for b in banners()))  # noqa: S308 - rendered templates
