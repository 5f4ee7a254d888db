"""The timed parts: the HTTP booking storm, the /healthz ceiling, the raw PostgreSQL ceiling."""

import asyncio
import contextlib
import itertools
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field

import aiohttp
import psycopg

from bench.prepare import BENCH_NAME, BenchDay, distinct_niks, psycopg_url

PER_ACCOUNT = 5  # an account applies for at most 5 people


def client_address(index: int, base: int = 10) -> str:
    """Each simulated client's own address, sent as X-Forwarded-For as the edge proxy in front
    of the app would write it: the per-IP rate limit then counts clients, not the bench."""
    return f"{base}.{(index >> 16) & 255}.{(index >> 8) & 255}.{index & 255}"


def headers_for(token: str, index: int, base: int = 10) -> dict:
    return {"Authorization": f"Bearer {token}", "X-Forwarded-For": client_address(index, base)}


@dataclass
class StormResult:
    elapsed: float = 0.0  # first request to last answer
    fill_time: float = 0.0  # first request to the last 201
    statuses: Counter = field(default_factory=Counter)  # "201", "409 quota_exhausted", ...
    latencies: list[float] = field(default_factory=list)  # every answer, seconds
    booking_latencies: list[float] = field(default_factory=list)  # 201 only
    refusal_latencies: list[float] = field(default_factory=list)  # 409 quota_exhausted only
    errors: Counter = field(default_factory=Counter)  # transport errors and timeouts
    samples: list[str] = field(default_factory=list)  # a few unexpected answers
    timed_out: bool = False

    @property
    def created(self) -> int:
        return self.statuses["201"]

    @property
    def quota_exhausted(self) -> int:
        return self.statuses["409 quota_exhausted"]

    @property
    def server_errors(self) -> int:
        return sum(n for k, n in self.statuses.items() if k.startswith("5"))

    @property
    def other_4xx(self) -> int:
        return sum(
            n for k, n in self.statuses.items() if k.startswith("4") and k != "409 quota_exhausted"
        )


def booking_body(day: BenchDay, window: str, nik: str, birth) -> dict:
    return {
        "office": day.office,
        "channel": day.channel,
        "date": day.date.isoformat(),
        "window": window,
        "application_type": "new",
        "purpose": "apprenticeship",
        "passport_type": "ordinary",
        "applicant": {
            "nik": nik,
            "name": BENCH_NAME,
            "birth_date": birth.isoformat(),
            "sex": "M",
            "phone": "081234567890",
            "domicile_regency": "32.15",
        },
    }


async def storm(
    *,
    base_url: str,
    day: BenchDay,
    tokens: list[str],
    clients: int,
    duration: float,
    max_requests: int,
    niks=None,
) -> StormResult:
    """C clients book the day's windows until each has been told every window is full.

    A client moves to a fresh account after 5 bookings (the per-account cap) and uses a new NIK
    after every booking; all NIKs in the run are distinct.
    """
    result = StormResult()
    accounts = iter(tokens)
    niks = niks if niks is not None else distinct_niks()
    sent = itertools.count()
    start = time.perf_counter()
    deadline = start + duration
    url = f"{base_url}/api/v1/bookings"
    windows = day.windows

    async def client(index: int, session: aiohttp.ClientSession) -> None:
        token = next(accounts)
        booked_here = 0
        full: set[str] = set()
        turn = index
        nik, birth = next(niks)
        while len(full) < len(windows):
            if time.perf_counter() > deadline or next(sent) >= max_requests:
                result.timed_out = True
                return
            window = windows[turn % len(windows)]
            turn += 1
            if window in full:
                continue
            t0 = time.perf_counter()
            try:
                async with session.post(
                    url,
                    json=booking_body(day, window, nik, birth),
                    headers=headers_for(token, index),
                ) as response:
                    status = response.status
                    raw = await response.read()
            except (TimeoutError, aiohttp.ClientError) as exc:
                result.errors[type(exc).__name__] += 1
                continue
            latency = time.perf_counter() - t0
            result.latencies.append(latency)
            try:
                payload = json.loads(raw)
            except ValueError:  # e.g. an HTML error page
                payload = raw[:200].decode(errors="replace")
            code = payload.get("code", "") if isinstance(payload, dict) else ""
            if status == 201:
                result.statuses["201"] += 1
                result.booking_latencies.append(latency)
                result.fill_time = time.perf_counter() - start
                booked_here += 1
                nik, birth = next(niks)
                if booked_here == PER_ACCOUNT:
                    token, booked_here = next(accounts), 0
                continue
            key = f"{status} {code}".strip()
            result.statuses[key] += 1
            if status == 409 and code == "quota_exhausted":
                result.refusal_latencies.append(latency)
                full.add(window)
            else:
                if len(result.samples) < 5:
                    result.samples.append(f"{key}: {str(payload)[:200]}")
                if code == "applicant_limit_reached":
                    token, booked_here = next(accounts), 0
                nik, birth = next(niks)

    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        await asyncio.gather(*(client(i, session) for i in range(clients)))
    result.elapsed = time.perf_counter() - start
    return result


@dataclass
class RateResult:
    count: int
    failures: int
    elapsed: float
    latencies: list[float]
    note: str = ""

    @property
    def rate(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0


async def healthz_rate(*, base_url: str, clients: int, duration: float) -> RateResult:
    """The web stack's own limit: GET /healthz from C clients for `duration` seconds."""
    ok = failures = 0
    latencies: list[float] = []
    url = f"{base_url}/healthz"
    start = time.perf_counter()
    deadline = start + duration

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal ok, failures
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            try:
                async with session.get(url) as response:
                    await response.read()
                    if response.status == 200:
                        ok += 1
                        latencies.append(time.perf_counter() - t0)
                    else:
                        failures += 1
            except (TimeoutError, aiohttp.ClientError):
                failures += 1

    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        await asyncio.gather(*(client(session) for _ in range(clients)))
    return RateResult(ok, failures, time.perf_counter() - start, latencies)


RAW_SETUP = """
DROP SCHEMA IF EXISTS bench_raw CASCADE;
CREATE SCHEMA bench_raw;
CREATE TABLE bench_raw.slot (LIKE public.capacity_capacityslot INCLUDING ALL);
CREATE TABLE bench_raw.booking (LIKE public.booking_booking INCLUDING ALL);
"""

RAW_INSERT = """
INSERT INTO bench_raw.booking (
  code, account_id, applicant_id, nik, office_id, channel_id, slot_id, date, window_start,
  window_end, application_type, purpose, passport_type, validity_years, status, billing_code,
  amount, pay_before, reschedule_count, created_at, updated_at
) VALUES (
  %(code)s, 1, 1, %(nik)s, 1, 1, %(slot)s, %(date)s, '09:00', '10:00', 'new', 'apprenticeship',
  'ordinary', 10, 'awaiting_payment', %(billing)s, 650000, now() + interval '2 hours', 0,
  now(), now()
)
"""

RAW_TAKE = "UPDATE bench_raw.slot SET used = used + 1 WHERE id = %s AND used < capacity"


async def raw_rate(
    *, database_url: str, day: BenchDay, clients: int, duration: float, one_slot: bool = False
) -> RateResult:
    """The booking transaction alone, straight on PostgreSQL: INSERT a booking-like row and take
    a place by the conditional UPDATE, one transaction each, from C connections.

    Runs in a scratch schema (copies of the slot and booking tables with their indexes and
    checks), so the storm's data is untouched. `one_slot`: every transaction takes its place
    in the same slot row, whose lock each holds until its commit (the hot-row limit).
    """
    url = psycopg_url(database_url)
    with psycopg.connect(url, autocommit=True) as conn:
        max_conn = int(conn.execute("SHOW max_connections").fetchone()[0])
        conn.execute(RAW_SETUP)
        conn.execute(
            "INSERT INTO bench_raw.slot SELECT s.* FROM public.capacity_capacityslot s "
            "JOIN public.offices_channel c ON c.id = s.channel_id "
            "JOIN public.offices_office o ON o.id = c.office_id "
            "WHERE o.code = %s AND c.code = %s AND s.date = %s",
            (day.office, day.channel, day.date),
        )
        conn.execute("UPDATE bench_raw.slot SET used = 0, capacity = 100000000")
        slot_ids = [r[0] for r in conn.execute("SELECT id FROM bench_raw.slot ORDER BY id")]
    if one_slot:
        slot_ids = slot_ids[:1]
    pool = min(clients, max(max_conn - 20, 1))
    note = f"{pool} connections" + (f" (max_connections={max_conn})" if pool < clients else "")
    serial = itertools.count(1)
    ok = failures = 0
    latencies: list[float] = []
    connected = 0
    go = asyncio.Event()
    clock = {"start": 0.0, "deadline": 0.0}

    refused = 0

    def arrived() -> None:
        nonlocal connected
        connected += 1
        if connected == pool:  # time only the transactions, not the connecting
            clock["start"] = time.perf_counter()
            clock["deadline"] = clock["start"] + duration
            go.set()

    async def client(index: int) -> None:
        nonlocal ok, failures, refused
        try:
            aconn = await psycopg.AsyncConnection.connect(url)
        except psycopg.OperationalError:  # e.g. too many clients: run with fewer
            refused += 1
            arrived()
            return
        async with aconn:
            arrived()
            await go.wait()
            while time.perf_counter() < clock["deadline"]:
                n = next(serial)
                t0 = time.perf_counter()
                try:
                    async with aconn.transaction():
                        await aconn.execute(
                            RAW_INSERT,
                            {
                                "code": f"R{n:011d}",
                                "nik": f"9{n:015d}",
                                "billing": f"{n:015d}",
                                "slot": slot_ids[n % len(slot_ids)],
                                "date": day.date,
                            },
                        )
                        taken = await aconn.execute(RAW_TAKE, (slot_ids[n % len(slot_ids)],))
                        if taken.rowcount != 1:
                            raise RuntimeError("no place")
                except (psycopg.Error, RuntimeError):
                    failures += 1
                    continue
                ok += 1
                latencies.append(time.perf_counter() - t0)

    await asyncio.gather(*(client(i) for i in range(pool)))
    elapsed = time.perf_counter() - clock["start"]
    if refused:
        note += f", {refused} could not connect"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS bench_raw CASCADE")
    return RateResult(ok, failures, elapsed, latencies, note)


async def refusals(
    *, base_url: str, day: BenchDay, tokens: list[str], clients: int, duration: float, niks
) -> RateResult:
    """A sold-out day: C clients ask for places in its windows for `duration` seconds; every
    answer must be 409 quota_exhausted (anything else counts as a failure)."""
    ok = failures = 0
    latencies: list[float] = []
    others: Counter = Counter()
    url = f"{base_url}/api/v1/bookings"
    people = [next(niks) for _ in range(clients)]
    start = time.perf_counter()
    deadline = start + duration

    async def client(index: int, session: aiohttp.ClientSession) -> None:
        nonlocal ok, failures
        nik, birth = people[index]
        token = tokens[index % len(tokens)]
        turn = index
        while time.perf_counter() < deadline:
            window = day.windows[turn % len(day.windows)]
            turn += 1
            t0 = time.perf_counter()
            try:
                async with session.post(
                    url,
                    json=booking_body(day, window, nik, birth),
                    headers=headers_for(token, index, base=11),
                ) as response:
                    raw = await response.read()
                    status = response.status
            except (TimeoutError, aiohttp.ClientError) as exc:
                failures += 1
                others[type(exc).__name__] += 1
                continue
            code = ""
            with contextlib.suppress(ValueError, AttributeError):
                code = json.loads(raw).get("code", "")
            if status == 409 and code == "quota_exhausted":
                ok += 1
                latencies.append(time.perf_counter() - t0)
            else:
                failures += 1
                others[f"{status} {code}"] += 1

    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        await asyncio.gather(*(client(i, session) for i in range(clients)))
    note = ", ".join(f"{k}: {n}" for k, n in others.most_common(3))
    return RateResult(ok, failures, time.perf_counter() - start, latencies, note)


@dataclass
class FairResult:
    people: int = 0
    heavy: int = 0
    places: int = 0
    won: int = 0
    heavy_won: int = 0
    requests: Counter = field(default_factory=Counter)  # light/heavy
    statuses: Counter = field(default_factory=Counter)
    joined: int = 0
    elapsed: float = 0.0
    gave_up: int = 0
    samples: list[str] = field(default_factory=list)

    @property
    def server_errors(self) -> int:
        return sum(n for k, n in self.statuses.items() if k.startswith("5"))


async def fair_release(
    *,
    base_url: str,
    day: BenchDay,
    people: list[tuple[str, str, object]],  # (token, nik, birth)
    heavy: set[int],
    arrive_within: float,
    lottery_ends: float,  # perf_counter moment the lottery is drawn
    deadline: float,
    connections: int = 128,
) -> FairResult:
    """Everyone joins the waiting room during the lottery period and books once let in.

    A light person joins once and then asks for their place when the server's estimate says
    (at most every 2 s); a heavy sender joins 10 times and asks 10 times as often. Nobody can
    book before their admission, so the places should go to the lottery's order alone.
    """
    result = FairResult(people=len(people), heavy=len(heavy), places=day.places)
    base = f"{base_url}/api/v1/release"
    booked_windows = itertools.cycle(day.windows)
    rng = random.Random(7)

    async def call(session, method, url, index, **kwargs):
        kind = "heavy" if index in heavy else "light"
        result.requests[kind] += 1
        try:
            async with session.request(method, url, **kwargs) as response:
                raw = await response.read()
                status = response.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            result.statuses[type(exc).__name__] += 1
            return 0, {}
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = {}
        code = payload.get("code", "") if isinstance(payload, dict) and status != 201 else ""
        result.statuses[f"{status} {code}".strip()] += 1
        expected = status in (200, 201, 429) or code == "quota_exhausted"  # 429: the limits
        if not expected and len(result.samples) < 5:
            result.samples.append(f"{kind} {method} {status}: {str(payload)[:160]}")
        return status, payload if isinstance(payload, dict) else {}

    async def person(index: int, session) -> None:
        token, nik, birth = people[index]
        headers = headers_for(token, index, base=12)
        factor = 10 if index in heavy else 1
        join = {
            "office": day.office,
            "channel": day.channel,
            "date": day.date.isoformat(),
            "nik": nik,
        }
        # Scripts are there at once; people arrive spread over the lottery period.
        await asyncio.sleep(0 if index in heavy else rng.uniform(0, arrive_within))
        joined = False
        for _ in range(factor):
            status, _payload = await call(
                session, "POST", f"{base}/join", index, json=join, headers=headers
            )
            joined = joined or status == 200
            if factor > 1:
                await asyncio.sleep(0.05)
        if not joined:
            result.gave_up += 1
            return
        result.joined += 1
        place_url = (
            f"{base}/place?office={day.office}&channel={day.channel}&date={day.date.isoformat()}"
        )
        while time.perf_counter() < deadline:
            status, payload = await call(session, "GET", place_url, index, headers=headers)
            state = payload.get("state")
            if state == "admitted":
                for _attempt in range(len(day.windows)):
                    status, payload = await call(
                        session,
                        "POST",
                        f"{base_url}/api/v1/bookings",
                        index,
                        json=booking_body(day, next(booked_windows), nik, birth),
                        headers=headers,
                    )
                    if status == 201:
                        result.won += 1
                        result.heavy_won += index in heavy
                        return
                    if payload.get("code") != "quota_exhausted":
                        break
                return
            if state in ("passed", "used") or status in (401, 404):
                return
            estimate = payload.get("estimate_seconds") or 0
            if state == "waiting" and estimate > 60 * 5:
                return  # an honest estimate past the bench's bound: this person gives up
            wait = min(max(float(estimate), 0.5), 2.0)
            if state == "lottery":
                wait = min(max(lottery_ends - time.perf_counter(), 0.2), 2.0)
            await asyncio.sleep(wait / factor)

    start = time.perf_counter()
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        await asyncio.gather(*(person(i, session) for i in range(len(people))))
    result.elapsed = time.perf_counter() - start
    return result
