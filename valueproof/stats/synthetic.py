"""The statistics of `comparison`: each KPI's synthetic difference-in-differences against the
donor accounts (`stats.synthdid`), turned into the result fields every other KPI has.

The account is the one treated unit; its synthetic twin (a weighted blend of donors plus a level
shift) stands where a control group would. Inference is the placebo test over donors (each donor
treated in turn): its smallest attainable p-value is 1/(J+1), so with few donors no effect can be
called significant and the KPI says so. The pre-period fit replaces the parallel-trends check:
poor when the twin misses the account by more than nearly all donors' placebo twins miss theirs.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from valueproof.config import Experiment
from valueproof.data import Dataset
from valueproof.data.donors import Donors, DonorSeries
from valueproof.stats import did, synthdid
from valueproof.stats.placebo import placebo_inference, poor_pre_fit, pre_period_dip
from valueproof.stats.results import EventPoint, PreTrend, Robustness, TrendPoint


def kpi_fields(experiment: Experiment, dataset: Dataset, donors: Donors) -> list[dict]:
    """Every KPI's result fields (before the adjustment across KPIs and the verdicts)."""
    settings = experiment.analysis
    alpha = settings.alpha
    verdict_alpha = alpha / len(experiment.kpis) if settings.correction != "none" else alpha
    max_weight = experiment.comparison.max_weight
    out = []
    for kpi in experiment.kpis:
        series = donors.kpis[kpi.id]
        n_obs = int(dataset.panel.counts[kpi.id].sum())
        findings = [f.message for f in dataset.findings if f.kpi == kpi.id]
        out.append(_fields(kpi, series, (alpha, verdict_alpha), max_weight, n_obs, findings))
    return out


def _fields(kpi, series: DonorSeries, alphas: tuple[float, float], max_weight: float | None,
            n_obs: int, findings: list[str]) -> dict:
    """One KPI's fields; `alphas`: the intervals' alpha and the verdict's (after correction)."""
    alpha, verdict_alpha = alphas
    Y, n_pre = series.values, series.n_pre
    fit = synthdid.synthetic_did(Y, n_pre, max_weight=max_weight)
    placebo = placebo_inference(Y, n_pre, fit, alpha=alpha, max_weight=max_weight)
    dip = bool(pre_period_dip(Y, n_pre, fit, placebo))
    n_donors = Y.shape[0] - 1
    account, twin = Y[-1], np.asarray(fit.synthetic, dtype=float)
    effect, se = float(fit.estimate), float(placebo.se)
    level = float(account[n_pre:].mean())
    counterfactual = level - effect
    detectable = placebo.smallest_p < verdict_alpha
    z = stats.norm.ppf(1 - verdict_alpha / 2)
    mde = float((z + stats.norm.ppf(did.POWER)) * se) if detectable else float("nan")
    spread = float(np.std(account[:n_pre], ddof=1))
    poor = poor_pre_fit(fit, placebo)
    units, relative = _in_kpi_terms(kpi.transform, effect, placebo.ci_low, placebo.ci_high,
                                    counterfactual)
    if kpi.transform == "log":
        level = float(np.exp(level))
    means = {f"{arm}_{side}": float(path[cut].mean())
             for arm, path in (("treatment", account), ("control", twin))
             for side, cut in (("pre", slice(None, n_pre)), ("post", slice(n_pre, None)))}
    if kpi.transform == "log":
        means = {name: float(np.exp(value)) for name, value in means.items()}
    return dict(
        id=kpi.id, label=kpi.display_label, unit=kpi.unit, better=kpi.better,
        aggregate=kpi.aggregate, transform=kpi.transform, estimand=did.estimand(kpi),
        method="synthetic_did", inference="placebo", n_units={"treatment": 1, "control": n_donors},
        n_obs=n_obs, n_cells=int(Y.size), means=means, effect=effect, se=se, df=float("inf"),
        ci_low=float(placebo.ci_low), ci_high=float(placebo.ci_high),
        p_value=float(placebo.p_value), smallest_p=float(placebo.smallest_p),
        detectable=bool(detectable),
        relative_effect=relative[0], relative_ci_low=relative[1], relative_ci_high=relative[2],
        mde=mde, pre_trend=PreTrend("not_testable", None, None, None, 0),
        effect_units=units[0], effect_units_low=units[1], effect_units_high=units[2],
        level=level, level_low=level, level_high=level,
        robustness=Robustness(None, None, float(placebo.p_value), n_donors, True, {}),
        event_study=_event_study(series, fit), trend=_trend(series, twin, kpi.transform),
        synthetic=_synthetic(series, fit, placebo, spread, poor, dip),
        warnings=_warnings(fit, placebo, n_donors, poor, dip, verdict_alpha) + findings,
    )


def _in_kpi_terms(transform: str, effect: float, low: float, high: float,
                  counterfactual: float):
    """(effect, low, high) in KPI units and (relative, low, high) to the counterfactual level."""
    if transform == "log":
        base = float(np.exp(counterfactual))
        return ((base * float(np.expm1(effect)), base * float(np.expm1(low)),
                 base * float(np.expm1(high))),
                (float(np.expm1(effect)), float(np.expm1(low)), float(np.expm1(high))))
    if counterfactual == 0 or not np.isfinite(counterfactual):
        return (effect, low, high), (None, None, None)
    bounds = sorted((low / counterfactual, high / counterfactual))
    return (effect, low, high), (effect / counterfactual, *bounds)


def _event_study(series: DonorSeries, fit) -> list[EventPoint]:
    """The gap account - twin per period, relative to the time-weighted pre-period gap (so the
    post points average to the estimate); no interval per period."""
    gap = series.values[-1] - np.asarray(fit.synthetic, dtype=float)
    reference = float(np.asarray(fit.time_weights, dtype=float) @ gap[:series.n_pre])
    nan = float("nan")
    return [EventPoint(label, i >= series.n_pre, float(gap[i] - reference), nan, nan)
            for i, label in enumerate(series.periods)]


def _trend(series: DonorSeries, twin: np.ndarray, transform: str) -> list[TrendPoint]:
    """The account's value and its twin's per period (KPI units; geometric for log KPIs)."""
    scale = np.exp if transform == "log" else (lambda v: v)
    account = scale(series.values[-1])
    twin = scale(twin)
    return [TrendPoint(label, i >= series.n_pre, float(account[i]), None, None,
                       float(twin[i]), None, None) for i, label in enumerate(series.periods)]


def _synthetic(series: DonorSeries, fit, placebo, spread: float, poor: bool, dip: bool) -> dict:
    weights = np.asarray(fit.unit_weights, dtype=float)
    order = np.argsort(-weights, kind="stable")
    return {
        "donors": len(series.donors), "largest_weight": float(weights.max()),
        "effective_donors": float(1 / (weights @ weights)),
        "pre_rmspe": float(fit.pre_rmspe), "pre_sd": spread,
        "placebo_rmspe": float(np.median(placebo.placebo_rmspes)),
        "pre_fit": "poor" if poor else "good", "dip": dip, "placebo_se": float(placebo.se),
        "estimators": {
            "sdid": {"effect": float(fit.estimate), "ci_low": float(placebo.ci_low),
                     "ci_high": float(placebo.ci_high), "p_value": float(placebo.p_value)},
            "sc": {"effect": float(fit.sc_estimate), "p_value": float(placebo.sc_p_value)},
            "did": {"effect": float(fit.did_estimate), "p_value": float(placebo.did_p_value)}},
        "weights": [{"donor": series.donors[j], "weight": float(weights[j])} for j in order
                    if weights[j] > 0],
        "time_weights": [{"period": label, "weight": float(w)} for label, w in
                         zip(series.periods, np.asarray(fit.time_weights, dtype=float))],
    }


def _warnings(fit, placebo, donors: int, poor: bool, dip: bool,
              verdict_alpha: float) -> list[str]:
    warnings = []
    if poor:
        warnings.append(
            f"the synthetic twin follows the account's path before the rollout poorly (typical "
            f"miss {fit.pre_rmspe:.3g}, where the donor accounts' own twins miss them by "
            f"{float(np.median(placebo.placebo_rmspes)):.3g}), so the placebo test may understate "
            "the uncertainty and the comparison with the donor accounts is weak: its change is not "
            "called either way (inconclusive)")
    if dip:
        warnings.append(
            "the KPI moved against its twin just before the rollout, more than the donor "
            "accounts' own paths do: part of the change after the rollout may be a return to "
            "normal rather than the product's effect")
    if placebo.smallest_p >= verdict_alpha:
        warnings.append(
            f"not detectable with this design: with {donors} donor accounts the smallest "
            f"p-value any effect could give is {placebo.smallest_p:.3g}, not below "
            f"{verdict_alpha:.3g}")
    return warnings
