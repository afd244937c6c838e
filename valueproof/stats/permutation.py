"""Randomization inference: re-assign the treatment label across units, recompute every KPI's
difference-in-differences, and see how often chance alone gives an effect as large.

All KPIs share the same draws. Each draw's estimate comes from per-unit sums (weighted sum and weight
of the unit's cells before and after the rollout), so a draw is a matrix product, not a refit.
Where the model-based test leads and the design is large, the test is a robustness row and
draws fewer times (`robustness_draws`).
"""

from __future__ import annotations

import itertools

import numpy as np

CHUNK = 128
#: Units x draws the test may spend when it is only a robustness row (the model-based test
#: leads): past it, fewer random draws, never under ROBUSTNESS_MIN_DRAWS. At the default 2,000
#: draws, designs up to 12,500 units keep every draw; 50,000 units get 1,000 (about 0.5 s
#: instead of 1.0 s; the Monte Carlo error of a p-value near 0.05 is then 0.007), their
#: number recorded with the p-value (`robustness.permutations`).
ROBUSTNESS_BUDGET = 25_000_000
ROBUSTNESS_MIN_DRAWS = 1_000


def _estimates(assign: np.ndarray, sums: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """DiD per draw and KPI. assign: (draws, units) 0/1; sums: (units, 4*K); totals: (4*K,)."""
    treated = assign @ sums  # (draws, 4K): treated pre sum, pre weight, post sum, post weight
    control = totals - treated
    t = treated.reshape(len(assign), -1, 4)
    c = control.reshape(len(assign), -1, 4)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (t[..., 2] / t[..., 3] - t[..., 0] / t[..., 1]) - (c[..., 2] / c[..., 3] - c[..., 0] / c[..., 1])


def leads(n_units: dict[str, int]) -> bool:
    """Whether the permutation test leads a KPI's inference: few units got the product (1-3),
    or a group has fewer than 5 units (`n_units`: units per group)."""
    return n_units["treatment"] <= 3 or min(n_units.values()) < 5


def robustness_draws(requested: int, n_units: int) -> int:
    """The random draws of a permutation test that does not lead: `requested`, or fewer when
    the design is large (ROBUSTNESS_BUDGET)."""
    return min(requested, max(ROBUSTNESS_MIN_DRAWS, ROBUSTNESS_BUDGET // max(n_units, 1)))


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
    used = 0
    for assign in assignments(n_units, n_treated, draws, seed):
        extreme += _count(_estimates(assign, stacked, totals), observed, tolerance)
        used += len(assign)
    if enumerable(n_units, n_treated, draws):
        return list(extreme / used), used, True
    return list((1 + extreme) / (1 + draws)), draws, False


def enumerable(n_units: int, n_treated: int, draws: int) -> bool:
    """Whether there are no more than `draws` assignments (comb(n_units, n_treated)), found
    without the whole number (comb(50,000, 25,000) has 15,000 digits and takes 0.05 s)."""
    k = min(n_treated, n_units - n_treated)
    count = 1
    for i in range(1, k + 1):  # count is comb(n_units - k + i, i), which only grows with i
        count = count * (n_units - k + i) // i
        if count > draws:
            return False
    return count <= draws


def _random_assignments(rng: np.random.Generator, draws: int, n_units: int, n_treated: int):
    """`draws` uniformly random assignments of `n_treated` of `n_units` units, as 0/1 rows in
    batches of at most CHUNK (each batch overwrites the previous one: use it before the next).

    Each row treats the units holding its `n_treated` smallest uniform draws: a uniform random
    subset, found with a linear-time partition (several times faster than shuffling each row).
    Float64 draws make a tie at the threshold practically impossible. The draws, their
    partitioned copy and the 0/1 rows live in two buffers made once (at 50,000 units, fresh
    arrays for every batch cost more in page faults than the products they feed).
    """
    uniform = np.empty((min(CHUNK, draws), n_units))
    ordered = np.empty_like(uniform)
    done = 0
    while done < draws:
        size = min(CHUNK, draws - done)
        batch, work = uniform[:size], ordered[:size]
        rng.random(out=batch)
        np.copyto(work, batch)
        work.partition(n_treated - 1, axis=1)
        np.less_equal(batch, work[:, n_treated - 1 : n_treated], out=batch, casting="unsafe")
        yield batch
        done += size


def _count(estimates: np.ndarray, observed: np.ndarray, tolerance: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.sum(np.abs(estimates) >= np.abs(observed) - tolerance, axis=0)


def assignments(n_units: int, n_treated: int, draws: int, seed: int):
    """The assignments the permutation test uses, in batches: every one when there are no more
    than `draws`, else `draws` uniform random ones (the same for every call with this seed). A
    random batch is overwritten by the next: use it before asking for the next."""
    if enumerable(n_units, n_treated, draws):
        combos = itertools.combinations(range(n_units), n_treated)
        while batch := list(itertools.islice(combos, CHUNK)):
            assign = np.zeros((len(batch), n_units))
            assign[np.repeat(np.arange(len(batch)), n_treated), np.array(batch).ravel()] = 1.0
            yield assign
        return
    yield from _random_assignments(np.random.default_rng(seed), draws, n_units, n_treated)


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
    return np.concatenate(s), np.concatenate(h), observed, enumerable(n_units, n_treated, draws)


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
