"""Randomization inference: re-assign the treatment label across units, recompute every KPI's
difference-in-differences, and see how often chance alone gives an effect as large.

All KPIs share the same draws. Each draw's estimate comes from per-unit sums (sum and count of
unit-period values before and after the rollout), so a draw is a matrix product, not a refit.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

CHUNK = 128


def _estimates(assign: np.ndarray, sums: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """DiD per draw and KPI. assign: (draws, units) 0/1; sums: (units, 4*K); totals: (4*K,)."""
    treated = assign @ sums  # (draws, 4K): treated pre sum, pre count, post sum, post count per KPI
    control = totals - treated
    t = treated.reshape(len(assign), -1, 4)
    c = control.reshape(len(assign), -1, 4)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (t[..., 2] / t[..., 3] - t[..., 0] / t[..., 1]) - (c[..., 2] / c[..., 3] - c[..., 0] / c[..., 1])


def permutation_pvalues(sums: list[np.ndarray], treated: np.ndarray, draws: int,
                        seed: int) -> tuple[list[float], int, bool]:
    """Two-sided permutation p-values for each KPI.

    sums: per KPI, a (units, 4) array from `did.unit_sums`; treated: (units,) bool.
    Enumerates every assignment exactly when there are no more than `draws` of them; otherwise
    draws `draws` random permutations and reports (1 + extreme) / (1 + draws).
    Returns (p-values, number of assignments used, exact?).
    """
    stacked = np.hstack(sums)
    totals = stacked.sum(axis=0)
    n_units, n_treated = len(treated), int(treated.sum())
    observed = _estimates(treated[None, :].astype(float), stacked, totals)[0]
    tolerance = 1e-10 * np.maximum(1.0, np.abs(observed))
    extreme = np.zeros(len(sums))
    exact = math.comb(n_units, n_treated) <= draws
    if exact:
        combos = itertools.combinations(range(n_units), n_treated)
        used = 0
        while batch := list(itertools.islice(combos, CHUNK)):
            assign = np.zeros((len(batch), n_units))
            assign[np.repeat(np.arange(len(batch)), n_treated), np.array(batch).ravel()] = 1.0
            extreme += _count(_estimates(assign, stacked, totals), observed, tolerance)
            used += len(batch)
        return list(extreme / used), used, True
    rng = np.random.default_rng(seed)
    done = 0
    while done < draws:
        size = min(CHUNK, draws - done)
        assign = _random_assignments(rng, size, n_units, n_treated)
        extreme += _count(_estimates(assign, stacked, totals), observed, tolerance)
        done += size
    return list((1 + extreme) / (1 + draws)), draws, False


def _random_assignments(rng: np.random.Generator, size: int, n_units: int,
                        n_treated: int) -> np.ndarray:
    """`size` uniformly random assignments of `n_treated` of `n_units` units, as 0/1 rows.

    Each row treats the units holding its `n_treated` smallest uniform draws: a uniform random
    subset, found with a linear-time partition (several times faster than shuffling each row).
    Float64 draws make a tie at the threshold practically impossible.
    """
    draws = rng.random((size, n_units))
    threshold = np.partition(draws, n_treated - 1, axis=1)[:, n_treated - 1 : n_treated]
    return (draws <= threshold).astype(float)


def _count(estimates: np.ndarray, observed: np.ndarray, tolerance: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.sum(np.abs(estimates) >= np.abs(observed) - tolerance, axis=0)
