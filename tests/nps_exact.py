"""Exact coverage of the NPS intervals: every outcome of the multinomial, weighted by its
probability (tests/adoption/test_nps_interval.py and benchmarks/calibration.py).

With n answers drawn from a mix of promoters, passives and detractors (shares p, o, d), each
outcome (a promoters, b passives, n - a - b detractors) has its multinomial probability; the
interval's coverage is the total probability of the outcomes whose interval holds the true NPS
100 x (p - d). No simulation: the figure is exact up to rounding.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from valueproof.adoption.nps import ADDED, ADDED_ANSWERS, Z

#: promoters / passives / detractors (%), from the top of the scale to a negative score
MIXES = ((95, 4, 1), (90, 8, 2), (85, 10, 5), (80, 15, 5), (70, 20, 10), (60, 25, 15),
         (50, 30, 20), (40, 35, 25), (35, 30, 35), (30, 30, 40))
SIZES = (30, 50, 200)


def outcomes(mix: tuple[float, float, float], n: int):
    """(promoters, passives, detractors, probability) of every outcome, as arrays."""
    shares = np.asarray(mix, float) / sum(mix)
    a, b = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    keep = a + b <= n
    a, b = a[keep], b[keep]
    c = n - a - b
    with np.errstate(divide="ignore"):
        logs = np.log(shares)
    log_p = (gammaln(n + 1) - gammaln(a + 1) - gammaln(b + 1) - gammaln(c + 1)
             + np.where(a > 0, a * logs[0], 0) + np.where(b > 0, b * logs[1], 0)
             + np.where(c > 0, c * logs[2], 0))
    return a, b, c, np.exp(log_p)


def adjusted(a, b, c):
    """Rocks' adjusted score and variance (vectorised `valueproof.adoption.nps.adjusted`)."""
    n = a + b + c + ADDED_ANSWERS
    p, d = (a + ADDED) / n, (c + ADDED) / n
    return p - d, np.maximum(p + d - (p - d) ** 2, 0) / n


def wald(a, b, c):
    """The plain Wald interval's centre and variance (the interval before Rocks')."""
    n = a + b + c
    p, d = a / n, c / n
    return p - d, np.maximum(p + d - (p - d) ** 2, 0) / n


def coverage(mix, n: int, method=adjusted) -> float:
    """Exact coverage of the 95% interval of one period's NPS (cut to -1..1, as reported)."""
    a, b, c, prob = outcomes(mix, n)
    truth = (mix[0] - mix[2]) / sum(mix)
    centre, variance = method(a, b, c)
    low = np.maximum(centre - Z * np.sqrt(variance), -1)
    high = np.minimum(centre + Z * np.sqrt(variance), 1)
    return float(prob[(low <= truth + 1e-12) & (truth - 1e-12 <= high)].sum())


def change_coverage(before, after, n_before: int, n_after: int, method=adjusted) -> float:
    """Exact coverage of the 95% interval of the change between two periods of independent
    answers (every pair of outcomes)."""
    a0, b0, c0, p0 = outcomes(before, n_before)
    a1, b1, c1, p1 = outcomes(after, n_after)
    truth = (after[0] - after[2]) / sum(after) - (before[0] - before[2]) / sum(before)
    centre0, var0 = method(a0, b0, c0)
    centre1, var1 = method(a1, b1, c1)
    total = 0.0
    for start in range(0, len(p1), 2000):  # pairs in blocks, to bound the memory
        stop = start + 2000
        diff = centre1[start:stop, None] - centre0[None, :]
        spread = Z * np.sqrt(var1[start:stop, None] + var0[None, :])
        held = (diff - spread <= truth + 1e-12) & (truth - 1e-12 <= diff + spread)
        total += float((p1[start:stop, None] * p0[None, :] * held).sum())
    return total
