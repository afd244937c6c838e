"""Random-effects pooling of per-account effects: what a product delivers across accounts, and
how much that varies from one account to the next.

Each account gives an effect y_i with its sampling variance v_i (on one scale: the KPI's units
or log ratios). The model is y_i = mu + u_i + e_i with u_i ~ N(0, tau²), e_i ~ N(0, v_i):
mu is the average effect, tau the spread of the true effects between accounts. tau² comes from
REML (the default) or Paule–Mandel, clipped at 0, so every weight 1 / (v_i + tau²) is positive
and the pooled mean lies within the inputs' range (DerSimonian–Laird without the clip, as
statsmodels' `combine_effects` has it, can give neither). Intervals for mu: the
Hartung–Knapp–Sidik–Jonkman one (the headline: its factor floored at 1, t on k − 1 df) and the
plain t-based one; the prediction interval for a new account's true effect uses t on k − 2 df
(Higgins, Thompson & Spiegelhalter 2009) and needs k ≥ 3 accounts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

METHODS = ("REML", "PM")
_TOLERANCE = 1e-10
_MAX_ITERATIONS = 1000


@dataclass(frozen=True)
class Pooled:
    """The pooled effect of k accounts, on the scale of the inputs."""

    k: int
    method: str  # REML | PM: how tau² was estimated
    estimate: float  # mu, the average true effect
    se: float  # its standard error, sqrt(1 / sum of weights)
    tau2: float  # between-account variance of the true effects (>= 0)
    i2: float  # share of the total variability due to real differences between accounts, 0-1
    q: float  # Cochran's Q (fixed-effect weights)
    ci_low: float  # t-based interval: estimate ± t(k − 1) · se
    ci_high: float
    hksj_se: float  # Hartung–Knapp–Sidik–Jonkman: se · sqrt(max(1, weighted residual variance))
    hksj_low: float
    hksj_high: float
    pi_low: float | None  # prediction interval for a new account (k >= 3)
    pi_high: float | None
    weights: tuple[float, ...]  # relative weights of the accounts, summing to 1

    @property
    def tau(self) -> float:
        return math.sqrt(self.tau2)


def pool(effects, variances, method: str = "REML", level: float = 0.95) -> Pooled:
    """Pool `effects` with their sampling `variances` (squared standard errors) under the
    random-effects model. Needs at least two accounts and positive, finite variances."""
    from scipy import stats

    y, v = np.asarray(effects, dtype=float), np.asarray(variances, dtype=float)
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    if y.shape != v.shape or y.ndim != 1 or len(y) < 2:
        raise ValueError("pooling needs two or more effects, each with its variance")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(v)) and np.all(v > 0)):
        raise ValueError("effects must be finite and variances finite and positive")
    k = len(y)
    tau2 = reml_tau2(y, v) if method == "REML" else paule_mandel_tau2(y, v)
    w = 1.0 / (v + tau2)
    mu = float(np.sum(w * y) / np.sum(w))
    se = math.sqrt(1.0 / np.sum(w))
    t1 = float(stats.t.ppf(0.5 + level / 2, k - 1))
    factor = float(np.sum(w * (y - mu) ** 2) / (k - 1))
    hksj_se = se * math.sqrt(max(1.0, factor))
    pi_low = pi_high = None
    if k >= 3:
        half = float(stats.t.ppf(0.5 + level / 2, k - 2)) * math.sqrt(tau2 + hksj_se ** 2)
        pi_low, pi_high = mu - half, mu + half
    return Pooled(k=k, method=method, estimate=mu, se=se, tau2=tau2,
                  i2=i_squared(v, tau2), q=cochran_q(y, v),
                  ci_low=mu - t1 * se, ci_high=mu + t1 * se,
                  hksj_se=hksj_se, hksj_low=mu - t1 * hksj_se, hksj_high=mu + t1 * hksj_se,
                  pi_low=pi_low, pi_high=pi_high,
                  weights=tuple(float(x) for x in w / np.sum(w)))


def _weighted_mean(y: np.ndarray, v: np.ndarray, tau2: float) -> float:
    w = 1.0 / (v + tau2)
    return float(np.sum(w * y) / np.sum(w))


def cochran_q(y: np.ndarray, v: np.ndarray) -> float:
    """Cochran's Q: weighted squared deviations from the fixed-effect mean."""
    return float(np.sum((y - _weighted_mean(y, v, 0.0)) ** 2 / v))


def i_squared(v: np.ndarray, tau2: float) -> float:
    """I² = tau² / (tau² + s²), s² the typical within-account variance (Higgins & Thompson
    2002), as metafor reports it for a random-effects model."""
    w = 1.0 / v
    typical = (len(v) - 1) * np.sum(w) / (np.sum(w) ** 2 - np.sum(w ** 2))
    return float(tau2 / (tau2 + typical)) if tau2 > 0 else 0.0


def reml_tau2(y: np.ndarray, v: np.ndarray) -> float:
    """REML estimate of tau², by the fixed-point iteration of its estimating equation
    (Viechtbauer 2005), clipped at 0 at every step."""
    tau2 = max(0.0, float(np.var(y, ddof=1) - np.mean(v)))
    for _ in range(_MAX_ITERATIONS):
        w = 1.0 / (v + tau2)
        mu = np.sum(w * y) / np.sum(w)
        new = float(np.sum(w ** 2 * ((y - mu) ** 2 - v)) / np.sum(w ** 2) + 1.0 / np.sum(w))
        new = max(0.0, new)
        if abs(new - tau2) < _TOLERANCE * max(1.0, tau2):
            return new
        tau2 = new
    return tau2


def paule_mandel_tau2(y: np.ndarray, v: np.ndarray) -> float:
    """Paule–Mandel tau²: the value at which the generalised Q statistic equals its expectation
    k − 1; 0 when Q is already below it without any between-account variance."""
    from scipy.optimize import brentq

    def excess(tau2: float) -> float:
        mu = _weighted_mean(y, v, tau2)
        return float(np.sum((y - mu) ** 2 / (v + tau2))) - (len(y) - 1)

    if excess(0.0) <= 0:
        return 0.0
    high = max(float(np.var(y)), float(np.max(v)), 1e-12)
    while excess(high) > 0:  # Q falls towards 0 as tau² grows: this ends
        high *= 2.0
    return float(brentq(excess, 0.0, high, xtol=1e-14, rtol=1e-12))
