"""Closed formulas of queueing theory, used to check the simulation (pure, no Django).

M/M/c: Poisson arrivals at rate `lam`, exponential service at rate `mu` per counter, `c`
counters, one queue served first come first served. Rates are per the same time unit.
"""

import math


def erlang_b(c: int, offered_load: float) -> float:
    """Blocking probability of M/M/c/c, by the stable recurrence B(k) = aB(k-1) / (k + aB(k-1))."""
    if c < 0 or offered_load < 0:
        raise ValueError("c and the offered load must not be negative")
    b = 1.0
    for k in range(1, c + 1):
        b = offered_load * b / (k + offered_load * b)
    return b


def erlang_c(c: int, offered_load: float) -> float:
    """Probability that an arrival has to wait in M/M/c, with offered load a = lam / mu < c."""
    if c < 1:
        raise ValueError("at least one counter is needed")
    if offered_load >= c:
        return 1.0
    if offered_load == 0:
        return 0.0
    b = erlang_b(c, offered_load)
    rho = offered_load / c
    return b / (1 - rho * (1 - b))


def mmc_mean_wait(lam: float, mu: float, c: int) -> float:
    """Mean time in the queue (before service), Wq = C(c, a) / (c mu - lam); inf if unstable."""
    if lam >= c * mu:
        return math.inf
    return erlang_c(c, lam / mu) / (c * mu - lam)


def mmc_wait_quantile(lam: float, mu: float, c: int, q: float) -> float:
    """The q-quantile of the wait in M/M/c: P(W > t) = C e^(-(c mu - lam) t)."""
    if not 0 < q < 1:
        raise ValueError("q must be between 0 and 1")
    if lam >= c * mu:
        return math.inf
    p_wait = erlang_c(c, lam / mu)
    if p_wait <= 1 - q:
        return 0.0
    return math.log(p_wait / (1 - q)) / (c * mu - lam)


def mmc_mean_queue_length(lam: float, mu: float, c: int) -> float:
    """Mean number waiting, Lq = lam Wq (Little's law)."""
    return lam * mmc_mean_wait(lam, mu, c)
