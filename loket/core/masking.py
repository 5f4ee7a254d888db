"""Masking personal data (UU 27/2022): NIK and phone numbers in text, JSON and log records.

`mask_text` keeps the last four digits of a NIK (16 digits) or a phone number so a record can
still be told apart; `MaskingFilter` applies it to every log record (installed in LOGGING).
"""

import logging
import re

# A NIK: 16 digits not inside a longer number (spaces or dots between groups allowed).
NIK_RE = re.compile(r"(?<![\d.:])(\d{6})[ .]?(\d{6})[ .]?(\d{4})(?![\d.])")
# An Indonesian mobile number: +62 / 62 / 0, then 8 and 7..11 more digits, with optional
# spaces or dashes (not dots or colons, so times and decimals are left alone).
PHONE_RE = re.compile(r"(?<![\d+.:])(?:\+62|62|0)[ -]?8(?:[ -]?\d){7,11}(?![\d.:])")
# JSON keys whose values are personal data as a whole (names, contact details).
PERSONAL_KEYS = {"nik", "phone", "name", "full_name", "email", "mother_name", "address"}


def mask_nik(value: str) -> str:
    digits = re.sub(r"\D", "", value or "")
    if not digits:
        return ""
    return "*" * max(len(digits) - 4, 0) + digits[-4:]


def mask_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value or "")
    if not digits:
        return ""
    return "*" * max(len(digits) - 3, 0) + digits[-3:]


def mask_text(text: str) -> str:
    """Every NIK-like 16-digit number and every phone number in `text`, masked."""
    if not text:
        return text
    text = NIK_RE.sub(lambda m: mask_nik(m.group(0)), text)
    return PHONE_RE.sub(lambda m: mask_phone(m.group(0)), text)


def mask_value(value):
    """A JSON-like value with personal fields masked (for audit snapshots shown on pages)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if str(key).lower() in PERSONAL_KEYS and isinstance(item, str) and item:
                lowered = str(key).lower()
                if lowered == "nik":
                    out[key] = mask_nik(item)
                elif lowered == "phone":
                    out[key] = mask_phone(item)
                else:
                    out[key] = item[:1] + "***"
            else:
                out[key] = mask_value(item)
        return out
    if isinstance(value, list):
        return [mask_value(item) for item in value]
    if isinstance(value, str):
        return mask_text(value)
    return value


class MaskingFilter(logging.Filter):
    """Masks NIKs and phone numbers in a log record's message, arguments and traceback text.

    The record is rewritten in place (message formatted once, args cleared), so every handler
    after it sees only the masked text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return True
        masked = mask_text(message)
        if masked != message or record.args:
            record.msg = masked
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        return True
