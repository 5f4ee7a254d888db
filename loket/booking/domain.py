"""Pure booking rules: codes, passport validity, which tariff applies, reschedule deadline."""

import datetime as dt
import secrets

from loket.identity.nik import age_on

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at a counter
assert len(_CODE_ALPHABET) == 32
CODE_LENGTH = 10


def new_booking_code() -> str:
    # 32 letters: a random byte modulo 32 picks each one uniformly (256 = 8 x 32).
    return "".join(_CODE_ALPHABET[b % 32] for b in secrets.token_bytes(CODE_LENGTH))


def new_billing_code() -> str:
    """A 15-digit billing code (SIMPONI shape), never starting with 0."""
    return str(10**14 + secrets.randbelow(9 * 10**14))


def validity_years(*, birth_date: dt.date, on: dt.date, married: bool) -> int:
    """10 years from age 17 or when married, otherwise 5."""
    return 10 if married or age_on(birth_date, on) >= 17 else 5


def tariff_item(*, passport_type: str, validity: int) -> str:
    return f"{passport_type}_{validity}"


def may_reschedule(*, appointment: dt.date, today: dt.date, min_days_before: int) -> bool:
    """Rescheduling is allowed up to `min_days_before` days before the appointment (H-1)."""
    return today <= appointment - dt.timedelta(days=min_days_before)
