"""Masking personal data (UU 27/2022): NIK and phone numbers in text, JSON and log records.

The project's one NIK and phone mask lives here (`mask_nik_digits`, `mask_phone_digits`; a NIK
keeps its region and last two digits, a phone its first three and last two);
loket.identity.nik offers them as `mask_nik` and `mask_phone`. `mask_text` masks NIKs and phone
numbers in free text the same way. `MaskingFilter`
applies it to every log record (installed in LOGGING), together with `mask_log_text`: names
can't be recognised in free text, so log lines lose e-mail addresses (first letter and domain
kept), the values of name-like keys (`name=...`, `"applicant_name": "..."`) and the row
PostgreSQL quotes in a constraint error ("Failing row contains (...)"), which holds every
column of the row.
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
# Log lines: e-mail addresses, name-like keys with their values, PostgreSQL's failing row.
EMAIL_RE = re.compile(r"(?<![\w.+-])([\w.+-])[\w.+-]*@([\w-]+(?:\.[\w-]+)+)")
NAME_KEYS = (
    "name|full_name|applicant_name|caller_name|collector_name|contact_person|mother_name|"
    "username|address"
)
NAME_VALUE_RE = re.compile(
    r"(?P<key>\b(?:" + NAME_KEYS + r")\b['\"]?\s*[=:]\s*)"
    r"(?P<value>'[^']*'|\"[^\"]*\"|[^,;)}\]\n]*)",
    re.IGNORECASE,
)
FAILING_ROW_RE = re.compile(r"(Failing row contains )\(.*?\)(?=\.?\s*$|\.?\n)", re.MULTILINE)


def mask_nik_digits(nik: str) -> str:
    """Show region and last two digits only: 3215********0012."""
    if len(nik) != 16:
        return "*" * len(nik)
    return nik[:4] + "*" * 10 + nik[-2:]


def mask_phone_digits(phone: str) -> str:
    digits = phone or ""
    if len(digits) <= 4:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 5) + digits[-2:]


def mask_nik(value: str) -> str:
    """The project's one NIK mask (region and last two digits), whatever the separators."""
    digits = re.sub(r"\D", "", value or "")
    return mask_nik_digits(digits) if digits else ""


def mask_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value or "")
    return mask_phone_digits(digits) if digits else ""


def mask_text(text: str) -> str:
    """Every NIK-like 16-digit number and every phone number in `text`, masked."""
    if not text:
        return text
    text = NIK_RE.sub(lambda m: mask_nik(m.group(0)), text)
    return PHONE_RE.sub(lambda m: mask_phone(m.group(0)), text)


def _mask_name_value(match: re.Match) -> str:
    value = match.group("value")
    quote = value[:1] if value[:1] in "'\"" else ""
    inner = value[1:-1] if quote else value
    if not inner.strip() or inner.strip() == "***":
        return match.group(0)
    return f"{match.group('key')}{quote}***{quote}"


def mask_log_text(text: str) -> str:
    """`mask_text`, and e-mail addresses, name-like `key=value` pairs and PostgreSQL's
    "Failing row contains (...)" detail: what a log line must not carry."""
    if not text:
        return text
    text = FAILING_ROW_RE.sub(r"\1(...)", text)
    text = mask_text(text)
    text = EMAIL_RE.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
    return NAME_VALUE_RE.sub(_mask_name_value, text)


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
    """Masks NIKs, phone numbers, e-mail addresses and name values in a log record's message,
    arguments and traceback text (see `mask_log_text`).

    The record is rewritten in place (message formatted once, args cleared), so every handler
    after it sees only the masked text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return True
        masked = mask_log_text(message)
        if masked != message or record.args:
            record.msg = masked
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_log_text(record.exc_text)
        return True
