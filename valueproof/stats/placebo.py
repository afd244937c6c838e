"""Placebo inference for synthetic DiD: every donor in turn plays the treated account, the other
donors its pool, and the account's effect is compared with theirs.

The exact placebo p-value is the account's rank among the J + 1 absolute effects (its smallest
value is 1 / (J + 1)); the standard error is the paper's placebo variance (Arkhangelsky et al. 2021,
Algorithm 4) taken over all J placebos instead of B random draws, so it is exact and needs no seed.
All placebos are fitted at once by the batched solver of `synthdid`, with the account's penalties
(as the R package keeps them) and its time weights as their warm start. The placebos' own
pre-period fits are the yardstick of the account's: a twin that misses the account by more than
nearly all donors' twins miss them (`poor_pre_fit`) leaves the placebo test blind to its error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from valueproof.stats.synthdid import (SyntheticFit, check_panel, did_effects, penalties, sc_effects,
                                       sdid_effects, sdid_weights)

DIP_SHARE = 0.10  # a dip is flagged when fewer than this share of the placebo paths swing as far
#: The pre-period fit is poor when fewer than this share of the placebo twins miss their donor by
#: as much as the account's twin misses it (with fewer than 9 donors: when none does). Measured in
#: docs/methods/synthetic.md: such accounts' intervals cover the truth 60-78% of the time.
POOR_SHARE = 0.10
TIES = 1e-10  # relative tolerance: a placebo effect equal to the account's counts as extreme


@dataclass(frozen=True)
class Placebo:
    """The placebo distribution of one KPI's effect and what follows from it."""

    p_value: float  # exact placebo p over donors: (1 + #{|tau_j| >= |tau|}) / (J + 1)
    smallest_p: float  # 1 / (J + 1)
    se: float  # the paper's placebo standard error (Algorithm 4)
    ci_low: float  # tau - z_{1-alpha/2} * se
    ci_high: float  # tau + z_{1-alpha/2} * se
    placebo_estimates: np.ndarray  # (J,) each donor treated in turn, the others as its donors
    sc_p_value: float  # the same placebo test for the synthetic-control estimate (robustness)
    did_p_value: float  # ... and for plain DiD (robustness)
    placebo_dips: np.ndarray  # (J,) each placebo's late pre-period swing (`dip_statistic`)
    placebo_rmspes: np.ndarray  # (J,) each placebo's pre-period RMSPE against its own twin


def rank_p_value(observed: float, placebos: np.ndarray) -> float:
    """(1 + #{|placebo| >= |observed|}) / (J + 1), ties counted as extreme."""
    extreme = np.abs(placebos) >= abs(observed) - TIES * max(1.0, abs(observed))
    return float((1 + extreme.sum()) / (len(placebos) + 1))


def placebo_problems(J: int) -> np.ndarray:
    """controls[p, j]: placebo p (donor p treated) may use donor j — every donor but itself."""
    return ~np.eye(J, dtype=bool)


def dip_window(n_pre: int) -> int:
    """How many of the last pre-rollout periods count as "just before" the rollout."""
    return max(1, round(n_pre / 6))


def dip_statistic(gaps_pre: np.ndarray) -> np.ndarray:
    """Late swing of pre-period gaps (..., T0): mean gap over the last periods minus the mean over
    the earlier ones, in the KPI's unit (negative: the path fell below its twin)."""
    late = dip_window(gaps_pre.shape[-1])
    if late >= gaps_pre.shape[-1]:
        return np.zeros(gaps_pre.shape[:-1])
    return gaps_pre[..., -late:].mean(axis=-1) - gaps_pre[..., :-late].mean(axis=-1)


def placebo_inference(Y: np.ndarray, n_pre: int, fit: SyntheticFit, *, alpha: float,
                      max_weight: float | None = None) -> Placebo:
    """Every donor of Y (rows 0..J-1; the last row is the account) treated in turn."""
    Y = np.asarray(Y, dtype=float)
    check_panel(Y, n_pre, max_weight)
    donors = Y[:-1]
    J = len(donors)
    pen = penalties(donors[:, :n_pre], Y.shape[1] - n_pre)
    controls = placebo_problems(J)
    omegas, lambdas = sdid_weights(donors, donors, n_pre, controls, pen, cap=max_weight,
                                   lambda_start=np.tile(fit.time_weights, (J, 1)))
    taus = sdid_effects(donors, donors, n_pre, omegas, lambdas)
    se = float(np.sqrt(np.mean((taus - taus.mean()) ** 2)))
    half = norm.ppf(1 - alpha / 2) * se
    gaps = donors - omegas @ donors
    pre = gaps[:, :n_pre]
    level = (lambdas * pre).sum(axis=1, keepdims=True)  # each twin's intercept, as in the fit
    return Placebo(
        p_value=rank_p_value(fit.estimate, taus), smallest_p=1.0 / (J + 1), se=se,
        ci_low=fit.estimate - half, ci_high=fit.estimate + half, placebo_estimates=taus,
        sc_p_value=rank_p_value(fit.sc_estimate, sc_effects(donors, donors, n_pre, controls)),
        did_p_value=rank_p_value(fit.did_estimate, did_effects(donors, donors, n_pre, controls)),
        placebo_dips=dip_statistic(pre),
        placebo_rmspes=np.sqrt(np.mean((pre - level) ** 2, axis=1)),
    )


def poor_pre_fit(fit: SyntheticFit, placebo: Placebo) -> bool:
    """Does the twin miss the account before the rollout by more than all but POOR_SHARE of the
    placebo twins miss their donors (with fewer than 9 donors: more than every one)? The placebo
    test learns the estimate's noise from the donors' fits, so a fit worse than theirs has errors
    the test does not see."""
    share = rank_p_value(fit.pre_rmspe, placebo.placebo_rmspes)
    return share <= max(POOR_SHARE, placebo.smallest_p)


def pre_period_dip(Y: np.ndarray, n_pre: int, fit: SyntheticFit, placebo: Placebo | None = None) -> bool:
    """Did the account's path swing away from its twin just before the rollout (the last
    `dip_window` pre periods against the earlier ones) further than all but DIP_SHARE of the
    donors' placebo paths do? Accounts picked because their KPI dipped show this; their placebo
    p-values are too small. Pass the KPI's `placebo` to reuse its fits."""
    if placebo is None:
        placebo = placebo_inference(Y, n_pre, fit, alpha=0.05)
    treated = np.asarray(Y, dtype=float)[-1, :n_pre]
    swing = float(dip_statistic(treated - fit.synthetic[:n_pre]))
    return rank_p_value(swing, placebo.placebo_dips) <= DIP_SHARE
