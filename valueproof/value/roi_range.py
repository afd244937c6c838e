"""The range of the total benefit (and so of ROI: the cost is fixed) at a stated level.

Total benefit = sum_k a_k x effect_k, with a_k = sign x value per KPI unit x volume per month x
months (sign: +1 when higher is better) and effect_k in KPI units. Its interval comes from the
joint covariance of the KPIs' estimates, which are measured on the same units:

    Var(total) = sum_j sum_k b_j b_k Cov(effect_j, effect_k),  Cov = sum_g psi_jg psi_kg,

with psi_kg unit g's influence on KPI k's effect (`stats.results.UnitInfluence`, scaled so that
sum_g psi_kg^2 is KPI k's own squared SE: the diagonal is each KPI's reported SE) and b_k = a_k
times d effect_in_units / d effect (1, or for log KPIs the treated level exp(m), since the effect
in KPI units is exp(m) - exp(m - effect) with the counterfactual held as measured, as each KPI's
own interval holds it). So Var(total) = sum_g (sum_k b_k psi_kg)^2: one combined influence per
unit. The interval is total +- t(1 - alpha/2, df) x SE with df the smallest of the KPIs' df: the
total's variance estimate is a sum over the same units as each KPI's, so it has no more degrees
of freedom than the least informed of them, and Welch-Satterthwaite's combination assumes
independent variance estimates, which KPIs measured on the same units are not.

Where that is not available the range says so by its method:
- `own_interval`: every benefit rests on one KPI; the range is that KPI's own interval (whatever
  its inference: model, randomization test, log scale), scaled; its level is exact.
- `randomization`: the permutation test leads (1-3 treated units) for every KPI, and their
  tests drew the same assignments with the same shift h_A (KPIs weighing their cells alike):
  under "the total is d" every assignment's combined statistic sum_k b_k (s_kA - delta_k h_A)
  is sum_k b_k s_kA - d h_A whatever the split of d across KPIs, so the randomization test of
  the total itself is exact and its inversion (`stats.permutation.invert`) is the range.
- `bonferroni`: otherwise (KPIs weighing their cells differently under the permutation test,
  `se: iid` / `hc1`, a KPI without an SE): each KPI at the end of its own 1 - alpha/m interval
  (m KPIs; for the permutation test its inverted interval at that level), summed. All m
  intervals cover together with probability at least 1 - alpha, and then so does the sum: the
  level is a lower bound.
A bound that cannot be had (an unbounded randomization interval, no SE) is infinite.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from valueproof.stats.permutation import invert
from valueproof.stats.results import KPIResult


@dataclass(frozen=True)
class TotalRange:
    low: float
    high: float
    level: float  # 1 - alpha; a lower bound of the coverage for `bonferroni`
    method: str  # joint | own_interval | randomization | bonferroni
    se: float | None = None  # of the total benefit (joint, own_interval with a model SE)
    df: float | None = None
    each_level: float | None = None  # bonferroni: the level of each KPI's interval


def total_range(terms: list[tuple[KPIResult, float]], alpha: float) -> TotalRange:
    """The range of sum(a x kpi.effect_units) over `terms` (KPI, money per KPI unit signed so
    that better is positive) at level 1 - alpha."""
    coefficients: dict[str, float] = {}
    kpis: dict[str, KPIResult] = {}
    for kpi, a in terms:
        coefficients[kpi.id] = coefficients.get(kpi.id, 0.0) + a
        kpis[kpi.id] = kpi
    total = sum(a * kpis[k].effect_units for k, a in coefficients.items())
    level = 1 - alpha
    if len(kpis) == 1:
        (k, a), = coefficients.items()
        kpi = kpis[k]
        low, high = sorted([a * _finite_or_inf(kpi.effect_units_low, -1),
                            a * _finite_or_inf(kpi.effect_units_high, 1)])
        se = abs(a * _slope(kpi)) * kpi.se if kpi.inference == "model" else None
        return TotalRange(low, high, level, "own_interval", _finite(se), _finite(kpi.df))
    if all(_joint_ready(kpi) for kpi in kpis.values()):
        index: dict[str, int] = {}
        for kpi in kpis.values():
            for unit in kpi.influence.units:
                index.setdefault(unit, len(index))
        combined = np.zeros(len(index))
        for k, a in coefficients.items():
            kpi = kpis[k]
            rows = np.fromiter((index[u] for u in kpi.influence.units), np.int64,
                               len(kpi.influence.units))
            combined[rows] += a * _slope(kpi) * kpi.influence.values
        se = float(np.sqrt(combined @ combined))
        df = min(kpi.df for kpi in kpis.values())
        half = float(stats.t.ppf(1 - alpha / 2, df)) * se
        return TotalRange(total - half, total + half, level, "joint", se, float(df))
    joint = _joint_randomization(kpis, coefficients, alpha)
    if joint is not None:
        return joint
    m = len(kpis)
    low = high = 0.0
    for k, a in coefficients.items():
        ends = _interval_in_units(kpis[k], alpha / m)
        low_k, high_k = sorted([a * ends[0], a * ends[1]])
        low, high = low + low_k, high + high_k
    return TotalRange(low, high, level, "bonferroni", each_level=1 - alpha / m)


def _joint_ready(kpi: KPIResult) -> bool:
    return (kpi.inference == "model" and kpi.influence is not None and np.isfinite(kpi.se)
            and np.isfinite(kpi.df) and kpi.df > 0)


def _joint_randomization(kpis: dict[str, KPIResult], coefficients: dict[str, float],
                         alpha: float) -> TotalRange | None:
    """The randomization test of the total benefit itself, when every KPI's test drew the same
    assignments with the same shifts (None otherwise)."""
    draws = [kpis[k].randomization for k in coefficients]
    if not all(kpi.inference == "permutation" for kpi in kpis.values()) or None in draws:
        return None
    first = draws[0]
    if not first.assignments or any(
            d.assignments != first.assignments or len(d.shift) != len(first.shift)
            or not np.allclose(d.shift, first.shift, rtol=1e-9, atol=1e-12, equal_nan=True)
            for d in draws[1:]):
        return None
    weights = [coefficients[k] * _draw_slope(kpis[k]) for k in coefficients]
    statistic = sum(w * d.statistic for w, d in zip(weights, draws))
    observed = float(sum(w * d.observed for w, d in zip(weights, draws)))
    low, high, _ = invert(statistic, first.shift, observed, first.exact, alpha)
    return TotalRange(-np.inf if low is None else low, np.inf if high is None else high,
                      1 - alpha, "randomization")


def _draw_slope(kpi: KPIResult) -> float:
    """KPI units per unit of the randomization statistic: a Poisson KPI's draws are on the
    scale d = 1 - 1/RR, and its effect in KPI units is m d; otherwise as `_slope`."""
    return kpi.level if kpi.model == "poisson" else _slope(kpi)


def _slope(kpi: KPIResult) -> float:
    """d (effect in KPI units) / d (effect): 1, or the treated post level for log KPIs; for a
    Poisson KPI (level m x (1 - exp(-effect))) m exp(-effect), the counterfactual level."""
    if kpi.model == "poisson":
        return kpi.level * float(np.exp(-kpi.effect))
    return kpi.level if kpi.transform == "log" else 1.0


def _interval_in_units(kpi: KPIResult, alpha: float) -> tuple[float, float]:
    """The KPI's interval at level 1 - alpha in KPI units: the model's t interval, or with the
    permutation test leading its inverted interval; infinite where a bound cannot be had."""
    if kpi.inference == "permutation" and kpi.randomization is not None:
        draws = kpi.randomization
        low, high, _ = invert(draws.statistic, draws.shift, draws.observed, draws.exact, alpha)
        low = -np.inf if low is None else low
        high = np.inf if high is None else high
    elif kpi.inference == "model" and np.isfinite(kpi.se) and kpi.df > 0:
        half = float(stats.t.ppf(1 - alpha / 2, kpi.df)) * kpi.se
        low, high = kpi.effect - half, kpi.effect + half
    else:
        return -np.inf, np.inf
    if kpi.model == "poisson":  # m (1 - 1/RR); the randomization draws are in d = 1 - 1/RR
        if kpi.inference == "permutation":
            return float(kpi.level * low), float(kpi.level * high)
        return float(-kpi.level * np.expm1(-low)), float(-kpi.level * np.expm1(-high))
    if kpi.transform == "log":  # the counterfactual level held as measured, as the KPI's own
        counterfactual = kpi.level * np.exp(-kpi.effect)
        return float(counterfactual * np.expm1(low)), float(counterfactual * np.expm1(high))
    return float(low), float(high)


def _finite_or_inf(value: float | None, side: int) -> float:
    return float(value) if value is not None and np.isfinite(value) else side * np.inf


def _finite(value) -> float | None:
    return float(value) if value is not None and np.isfinite(value) else None
