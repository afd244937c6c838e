"""Randomization test of the pre-trend check: are the treated - control gaps of every pre-rollout
period equal? The treatment label is re-assigned across units (exactly, when there are few
assignments), on each unit's own standardized pre-rollout profile.

Profiles. The pre-rollout cells are fitted with unit and period effects and no treatment (the
model of the null hypothesis, which knows nothing of who is treated), and each unit's residuals
are divided by the unit's own residual SD (weighted, n - 1 in the denominator). The period
effects are estimated by feasible weighted least squares: cell weights divided by the unit's
variance, three rounds from equal scales, so that a few noisy units do not lend their noise to
everyone's period effects. Units with fewer than 2 pre-rollout cells, or none of their own
variation, are left out.

Statistic: the spread across pre periods of the gap between the groups' mean profiles (each
unit counts once in each period it has a cell), sum_t (d_t - mean d)^2.

The profiles do not depend on the assignment, so the test has exact level whenever the units'
profiles are exchangeable - which standardizing restores when units differ only in their noise
(busy and quiet stores, a rate's large and small denominators). With 6 or 12 treated units twice
as noisy as 30 or 60 others, or a rate whose 6 treated units have a tenth of the others'
denominators, this test flags 4.0-6.2% of true nulls (`benchmarks/calibration_pretrend.py 400
stress`); studentizing the gaps' covariance instead (a Welch-James Wald statistic on the raw
gaps) flagged 13-26% there, and the spread of the raw gaps 28-76% in probes. Every sum over a
group is a sum over the smaller group's units (the other is the total minus it), so a draw
costs the smaller group's size.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

CHUNK = 256
ROUNDS = 3  # feasible least squares: the unit scales re-estimated this many times
BUDGET = 2_000_000  # numbers in one batch of draws


def randomization_pre_test(W: np.ndarray, WY: np.ndarray, treated: np.ndarray, draws: int,
                           seed: int) -> tuple[float, float]:
    """(p-value, smallest attainable p-value) of the randomization test of equal pre-rollout
    gaps; W, WY: (units, pre periods) weights and weighted values."""
    profiles, keep = standardized_profiles(W, WY)
    treated = treated[keep].astype(bool)
    G, p = profiles.shape
    n_treated = int(treated.sum())
    if p < 2 or n_treated < 1 or n_treated >= G:
        return float("nan"), 1.0
    present = (W[keep] > 0).astype(float)
    side = min(n_treated, G - n_treated)  # the group summed over (the smaller)
    flip = side != n_treated
    totals = profiles.sum(axis=0), present.sum(axis=0)

    def statistic(chosen: np.ndarray) -> np.ndarray:  # chosen: (draws, side) unit indices
        inside = profiles[chosen].sum(axis=1), present[chosen].sum(axis=1)
        groups = [inside, (totals[0] - inside[0], totals[1] - inside[1])]
        (s1, n1), (s0, n0) = groups[::-1] if flip else groups
        with np.errstate(invalid="ignore", divide="ignore"):
            gap = s1 / n1 - s0 / n0
        gap -= np.nanmean(gap, axis=1, keepdims=True)
        return np.nansum(gap**2, axis=1)

    observed = statistic(np.flatnonzero(treated != flip)[None])[0]
    tolerance = 1e-10 * max(1.0, abs(observed))
    rows = int(max(1, min(CHUNK, BUDGET // (side * p), BUDGET // G)))
    extreme = count = 0
    if math.comb(G, side) <= draws:  # every assignment, exactly
        combos = itertools.combinations(range(G), side)
        while batch := list(itertools.islice(combos, rows)):
            extreme += int(np.sum(statistic(np.array(batch)) >= observed - tolerance))
            count += len(batch)
        return extreme / count, 1 / count
    rng = np.random.default_rng(seed)
    while count < draws:
        size = min(rows, draws - count)
        chosen = np.argpartition(rng.random((size, G)), side - 1, axis=1)[:, :side]
        extreme += int(np.sum(statistic(chosen) >= observed - tolerance))
        count += size
    return (1 + extreme) / (1 + count), 1 / (1 + count)


def standardized_profiles(W: np.ndarray, WY: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(profiles (kept units, periods), kept units (bool over units)): each unit's residuals
    from the unit and period effects model, over its own residual SD; 0 where no cell."""
    cells = (W > 0).sum(axis=1)
    keep = cells >= 2
    W, WY, cells = W[keep], WY[keep], cells[keep]
    with np.errstate(invalid="ignore", divide="ignore"):
        Y = np.where(W > 0, WY / W, 0.0)
        relative = W / (W.sum(axis=1) / cells)[:, None]  # weights relative within the unit
    scale = np.ones(len(W))
    residuals = np.zeros_like(W)
    for _ in range(ROUNDS):
        residuals = _two_way_residuals(W / scale[:, None] ** 2, Y)
        sd = np.sqrt((relative * residuals**2).sum(axis=1) / (cells - 1))
        scale = np.where(sd > 1e-12 * max(sd.max(initial=0.0), 1e-300), sd, np.inf)
    usable = np.isfinite(scale)
    keep[np.flatnonzero(keep)[~usable]] = False
    return residuals[usable] / scale[usable, None], keep


def _two_way_residuals(W: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Residuals of weighted least squares of Y on unit and period effects (0 where W is 0):
    the unit effects absorbed, the period effects from the T x T normal equations."""
    S = W.sum(axis=1)
    usable = S > 0
    S = np.where(usable, S, 1.0)
    centred = np.where(W > 0, Y - ((W * Y).sum(axis=1) / S)[:, None], 0.0)
    normal = np.diag(W.sum(axis=0)) - (W / S[:, None]).T @ W
    effects = np.linalg.pinv(normal) @ (W * centred).sum(axis=0)
    fitted = effects[None, :] - ((W * effects[None, :]).sum(axis=1) / S)[:, None]
    return np.where(W > 0, centred - fitted, 0.0)
