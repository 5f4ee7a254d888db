"""Masking filters for staff pages (UU 27/2022): lists show a NIK as region plus last two
digits and a phone as its first three and last two digits, unless the role needs them."""

from django import template

from loket.core.masking import mask_nik_digits as mask_nik
from loket.core.masking import mask_phone_digits as mask_phone

register = template.Library()


@register.filter
def masked_nik(value) -> str:
    return mask_nik(value) if value else ""


@register.filter
def masked_phone(value) -> str:
    return mask_phone(value) if value else ""
