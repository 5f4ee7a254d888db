"""Fixed-window rate-limit counters: every limit a request is counted against, in one cache
round trip.

A limit "N/period" allows N hits per window of `period` seconds, windows aligned on the
epoch; each hit is an INCR of the window's key (with its expiry), so a burst at a window's
edge may see up to 2N in one period. With Redis (REDIS_URL) all of a request's counters go in
one pipeline, shared by every app process; with the in-process cache (tests, development)
each is an add + incr. The counters only shape load: an unreachable cache lets the request
through (every guarantee is in the database).
"""

import logging
import time

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "30/m" -> (30, 60); "5/10m" -> (5, 600)."""
    count, rest = rate.split("/", 1)
    unit = rest[-1:]
    if unit in PERIODS:
        multiple = int(rest[:-1]) if rest[:-1] else 1
        return int(count), multiple * PERIODS[unit]
    return int(count), int(rest)


def _redis():
    backend = caches["default"]  # `cache` is a proxy to it
    if isinstance(backend, RedisCache):
        return backend._cache.get_client(write=True)
    return None


def hit(limits: list[tuple[str, str]]) -> float | None:
    """Count one hit against each (key, rate). None when every limit allows it; else the
    seconds until the latest refusing window ends (for Retry-After)."""
    if not limits:
        return None
    now = time.time()
    counters = []
    for key, rate in limits:
        allowed, period = parse_rate(rate)
        window = int(now // period)
        counters.append((f"loket:rl:{key}:{period}:{window}", allowed, period))
    try:
        client = _redis()
        if client is not None:
            pipe = client.pipeline(transaction=False)
            for name, _allowed, period in counters:
                made = cache.make_key(name)
                pipe.incr(made)
                pipe.expire(made, period + 1)
            counts = pipe.execute()[0::2]
        else:
            counts = [_incr(name, period) for name, _allowed, period in counters]
    except Exception:  # noqa: BLE001 - the cache is down: the request goes on, uncounted
        logger.warning("cache unavailable: rate limits not counted")
        return None
    refused = [
        (int(now // period) + 1) * period - now
        for (_name, allowed, period), count in zip(counters, counts, strict=True)
        if count > allowed
    ]
    return max(refused) if refused else None


def _incr(name: str, period: int) -> int:
    cache.add(name, 0, period + 1)
    try:
        return cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.set(name, 1, period + 1)
        return 1
