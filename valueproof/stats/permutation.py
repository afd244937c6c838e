"""Randomization inference: re-assign the treatment label across units, recompute every KPI's
difference-in-differences, and see how often chance alone gives an effect as large.

All KPIs share the same draws. Each draw's estimate comes from per-unit sums (weighted sum and weight
of the unit's cells before and after the rollout), so a draw is a matrix product, not a refit.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

CHUNK = 128


def _estimates(assign: np.ndarray, sums: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """DiD per draw and KPI. assign: (draws, units) 0/1; sums: (units, 4*K); totals: (4*K,)."""
    treated = assign @ sums  # (draws, 4K): treated pre sum, pre weight, post sum, post weight
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


def assignments(n_units: int, n_treated: int, draws: int, seed: int):
    """The assignments the permutation test uses, in batches: every one when there are no more
    than `draws`, else `draws` uniform random ones (the same for every call with this seed)."""
    if math.comb(n_units, n_treated) <= draws:
        combos = itertools.combinations(range(n_units), n_treated)
        while batch := list(itertools.islice(combos, CHUNK)):
            assign = np.zeros((len(batch), n_units))
            assign[np.repeat(np.arange(len(batch)), n_treated), np.array(batch).ravel()] = 1.0
            yield assign
        return
    rng = np.random.default_rng(seed)
    done = 0
    while done < draws:
        size = min(CHUNK, draws - done)
        yield _random_assignments(rng, size, n_units, n_treated)
        done += size


def inversion_interval(sums: np.ndarray, treated: np.ndarray, draws: int, seed: int,
                       alpha: float) -> tuple[float, float | None, float | None, float]:
    """Randomization inference for one KPI when few units got the product.

    sums: (units, 4) weighted pre sum, pre weight, post sum, post weight (`did.unit_sums`).
    Under the hypothesis "the effect is d", removing d from the treated units' post values
    leaves no effect, so the permutation test of the shifted data gives p(d). The statistic of
    assignment A is linear in d: s_A - d h_A, with h_A the difference in the share of post
    weight coming from truly treated units; the interval {d : p(d) > alpha} is found by
    bisection on that cheap function. Returns (statistic, low, high, smallest attainable p);
    a bound is None when no shift is rejected on that side.
    """
    s, h, observed, exact = randomization_draws(sums, treated, draws, seed)
    low, high, smallest = invert(s, h, observed, exact, alpha)
    return observed, low, high, smallest


def randomization_draws(sums: np.ndarray, treated: np.ndarray, draws: int,
                        seed: int) -> tuple[np.ndarray, np.ndarray, float, bool]:
    """(s, h, observed, exact) of `inversion_interval`: every assignment's statistic s_A and
    shift h_A, so that the interval can be inverted at any level without drawing again."""
    n_units, n_treated = len(treated), int(treated.sum())
    totals = sums.sum(axis=0)
    truly = treated.astype(float)
    marked = np.column_stack([sums[:, 3] * truly, sums[:, 3]])  # treated post weight, post weight
    s, h = [], []
    for assign in assignments(n_units, n_treated, draws, seed):
        s.append(_estimates(assign, sums, totals)[:, 0])
        inside, total = assign @ marked, marked.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            h.append(inside[:, 0] / inside[:, 1] - (total[0] - inside[:, 0]) / (total[1] - inside[:, 1]))
    observed = float(_estimates(truly[None, :], sums, totals)[0, 0])
    return np.concatenate(s), np.concatenate(h), observed, math.comb(n_units, n_treated) <= draws


def invert(s: np.ndarray, h: np.ndarray, observed: float, exact: bool,
           alpha: float) -> tuple[float | None, float | None, float]:
    """The randomization interval {d : p(d) > alpha} of a statistic linear in the hypothesised
    effect d: assignment A gives s_A - d h_A against the observed - d. Found by doubling then
    bisection on each side. Returns (low, high, smallest attainable p); a bound is None when no
    shift is rejected on that side (or no p-value can go below alpha)."""
    count = len(s)

    def p_value(d: float) -> float:
        extreme = np.sum(np.abs(s - d * h) >= abs(observed - d) - 1e-10 * max(1.0, abs(observed)))
        return extreme / count if exact else (1 + extreme) / (1 + count)

    smallest = 1 / count if exact else 1 / (1 + count)
    scale = max(abs(observed), float(np.nanstd(s)), 1e-12)

    def bound(direction: int) -> float | None:
        inside_d, step = observed, scale
        for _ in range(60):  # find a rejected shift on this side
            outside_d = observed + direction * step
            if p_value(outside_d) <= alpha:
                break
            step *= 2
        else:
            return None
        for _ in range(60):
            middle = (inside_d + outside_d) / 2
            inside_d, outside_d = (middle, outside_d) if p_value(middle) > alpha else (inside_d, middle)
        return float((inside_d + outside_d) / 2)

    if smallest >= alpha:
        return None, None, smallest
    return bound(-1), bound(+1), smallest
