"""One KPI of a rollout in waves: Callaway-Sant'Anna effects (`stats.staggered`) turned into the
same result fields as a common rollout, plus the aggregations and every ATT(g,t).

The headline is the group aggregation: each wave's average effect over its periods with the
product, averaged over waves weighted by their number of units. Its interval uses the influence
function with each side's n - 1 correction and Bell-McCaffrey degrees of freedom
(`staggered.group_inference`), so that it stays honest with few units on either side; the
aggregations and ATT(g,t) listed beside keep R's SEs with (units of the smaller side - 1) df.
With 1-3 treated units (or a side under 5) the randomization test leads, as for a common rollout:
rollout dates are re-assigned at random across units (wave sizes kept) and the headline
recomputed, with the interval found by test inversion.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from valueproof.config.kpis import KPI
from valueproof.data import Panel
from valueproof.data.panel import NEVER, dense_codes
from valueproof.errors import DataError
from valueproof.stats import staggered
from valueproof.stats.did import Estimate, model_scale, power_mde, t_critical
from valueproof.stats.permutation import invert
from valueproof.stats.results import EventPoint, PreTrend


class WaveData:
    """One KPI's cells as units x periods matrices with each unit's wave (period index)."""

    def __init__(self, panel: Panel, kpi: KPI):
        values, counts = panel.values[kpi.id], panel.counts[kpi.id]
        weights = (panel.weights.get(kpi.id, counts).astype(float) if kpi.per_observation
                   else np.ones(len(values)))
        keep = ~np.isnan(values) & (weights > 0)
        y = model_scale(kpi, values[keep])
        self.kpi = kpi
        self.n_obs = int(counts[keep].sum())
        units, row = dense_codes(panel.unit[keep])
        self.units = units  # panel unit codes of the rows
        self.periods, column = dense_codes(panel.period[keep])
        N, T = len(units), len(self.periods)
        w = weights[keep]
        self.W = np.bincount(row * T + column, w, N * T).reshape(N, T)
        WY = np.bincount(row * T + column, w * y, N * T).reshape(N, T)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.Y = np.where(self.W > 0, WY / self.W, 0.0)
        starts = panel.cohort[units]
        period_keys = self.periods.view(np.int64)
        self.cohort = np.where(starts == NEVER, staggered.NEVER,
                               np.searchsorted(period_keys, np.minimum(starts, period_keys[-1] + 1)))
        self.cohort[self.cohort >= T] = staggered.NEVER  # rollout after the last period with data
        self.n_cells = int((self.W > 0).sum())

    def n_units(self) -> dict[str, int]:
        treated = int((self.cohort != staggered.NEVER).sum())
        return {"treatment": treated, "control": int(len(self.cohort) - treated)}

    def label(self, index: int) -> str:
        return str(self.periods[index])

    def means(self) -> dict[str, float]:
        """Weighted means of the treated units before and after their rollout, and of the
        never-treated before and after the first wave (model scale), descriptive."""
        T = self.W.shape[1]
        treated = self.cohort != staggered.NEVER
        after = np.arange(T)[None, :] >= np.where(treated, self.cohort, T)[:, None]
        first = self.cohort[treated].min()
        after_first = np.broadcast_to(np.arange(T)[None, :] >= first, self.W.shape)
        out = {}
        for name, rows, split in (("treatment", treated, after), ("control", ~treated, after_first)):
            for window, side in (("pre", False), ("post", True)):
                mask = rows[:, None] & (split == side)
                total = self.W[mask].sum()
                out[f"{name}_{window}"] = (float((self.W * self.Y)[mask].sum() / total)
                                           if total > 0 else float("nan"))
        return out

    def post_level(self, gt: staggered.GroupTime) -> staggered.Aggregate:
        """The treated units' level after their rollout, averaged like the headline (per wave
        over its post periods, waves weighted by units), with each unit's influence."""
        N = self.W.shape[0]
        waves = np.unique(gt.cohort[gt.post])
        shares = np.array([np.mean(self.cohort == g) for g in waves])
        level, influence = 0.0, np.zeros(N)
        for g, share in zip(waves, shares / shares.sum()):
            periods = np.unique(gt.period[gt.post & (gt.cohort == g)])
            rows = self.cohort == g
            for t in periods:
                w = np.where(rows, self.W[:, t], 0.0)
                mean = w @ self.Y[:, t] / w.sum()
                level += share * mean / len(periods)
                influence += share / len(periods) * w * (self.Y[:, t] - mean) / w.sum()
        return staggered.Aggregate(level, influence)


def _interval(estimate: float, se: float, df: float, alpha: float) -> dict:
    t = t_critical(alpha, df)
    p = float(2 * stats.t.sf(abs(estimate / se), df)) if se > 0 and df > 0 else float("nan")
    return {"att": estimate, "se": se, "ci_low": estimate - t * se,
            "ci_high": estimate + t * se, "p_value": p}


def estimate_kpi(panel: Panel, kpi: KPI, settings, verdict_alpha: float) -> dict:
    """Every result field of one KPI of a rollout in waves (see `stats._analyze`)."""
    data = WaveData(panel, kpi)
    alpha = settings.alpha
    try:
        gt = staggered.group_time(data.Y, data.W, data.cohort, settings.comparison,
                                  settings.base_period)
        aggs = staggered.aggregate(gt)
    except ValueError:
        raise DataError(
            f"KPI '{kpi.id}': no wave can be compared after its rollout — no comparison unit has "
            "values in the same periods" + (
                "; with analysis.comparison: not_yet_treated the last wave has no comparison "
                "unless some units are never treated" if settings.comparison == "not_yet_treated"
                else "")) from None
    n_units = data.n_units()
    clusters = max(min(n_units["treatment"], n_units["control"] if settings.comparison ==
                       "never_treated" else len(data.cohort) - 1), 1)
    df = float(clusters - 1)
    # the headline's interval: the n - 1 corrected influence with Bell-McCaffrey df (the
    # aggregations and ATT(g,t) in the JSON keep R's SEs, with (units - 1) df)
    head, head_df = staggered.group_inference(gt, aggs.group, data.W)
    head_df = head_df if np.isfinite(head_df) else df
    effect, se = head.estimate, head.se
    level = data.post_level(gt)
    estimate = Estimate(effect, se if clusters > 1 else float("nan"), head_df, data.means(),
                        level.estimate, level.se, float(level.influence @ head.influence),
                        data.n_cells, (data.units, head.influence) if clusters > 1 else None)
    few = n_units["treatment"] <= 3 or min(n_units.values()) < 5
    inference, smallest_p, detectable, perm = "model", None, True, None
    p_value = _interval(effect, estimate.se, head_df, alpha)["p_value"]
    ci_low, ci_high = effect - t_critical(alpha, head_df) * estimate.se, \
        effect + t_critical(alpha, head_df) * estimate.se
    mde = power_mde(estimate.se, head_df, verdict_alpha)
    warnings = []
    if few and n_units["control"] >= 1:
        perm = permutation_test(data, settings, alpha)
        inference = "permutation"
        p_value, smallest_p = perm["p_value"], perm["smallest_p"]
        ci_low, ci_high = perm["ci_low"], perm["ci_high"]
        detectable = smallest_p < verdict_alpha
        if not detectable:
            mde = float("nan")
            warnings.append(
                f"not detectable with this design: with {n_units['treatment']} treated and "
                f"{n_units['control']} comparison units the smallest p-value any effect could "
                f"give is {smallest_p:.3g}, not below {verdict_alpha:.3g}")
    pre_trend = _pre_trend(gt, aggs, clusters, alpha, settings.base_period)
    band = _band_critical(aggs, df, alpha, settings)  # one bootstrap: chart and JSON share it
    return dict(
        data=data, gt=gt, aggs=aggs, estimate=estimate, n_units=n_units, df=head_df,
        p_value=p_value, ci_low=ci_low, ci_high=ci_high, inference=inference,
        smallest_p=smallest_p, detectable=detectable, mde=mde, pre_trend=pre_trend,
        permutation=perm, warnings=warnings,
        event_study=_event_points(aggs, band or t_critical(alpha, df)),
        aggregations=_aggregations(data, aggs, df, alpha, band, (head, head_df)),
        group_time=_group_time(data, gt, df, alpha),
    )


def _pre_trend(gt, aggs, clusters: int, alpha: float, base_period: str) -> PreTrend:
    test, statistic, df, p, trend, trend_p, trend_se = staggered.pre_trend_test(
        gt, aggs.dynamic, clusters, base_period)
    q = int((~gt.post).sum())
    detectable = (power_mde(trend_se, clusters - 1, alpha)
                  if trend_se is not None and clusters > 1 else None)
    if test is None or p is None:
        return PreTrend("not_testable", None, None, None, q)
    return PreTrend("detected" if p < alpha else "not_detected", p, statistic, df, q, test,
                    trend, trend_p, detectable, "Hotelling" if test == "joint" else "t")


def _event_points(aggs, crit: float) -> list[EventPoint]:
    """The effect by time since rollout (dynamic aggregation) with pointwise intervals, or the
    simultaneous band when `crit` is the bootstrap's critical value."""
    return [EventPoint(str(e), e >= 0, a.estimate, a.estimate - crit * a.se,
                       a.estimate + crit * a.se) for e, a in sorted(aggs.dynamic.items())]


def _band_critical(aggs, df: float, alpha: float, settings) -> float | None:
    """The simultaneous band's critical value (multiplier bootstrap), never below the pointwise
    t value: the bootstrap has no small-sample correction, and a band must cover at least as
    much as each interval. None without `analysis.bootstrap`."""
    if not settings.bootstrap:
        return None
    columns = np.column_stack([aggs.dynamic[e].influence for e in sorted(aggs.dynamic)])
    critical = staggered.simultaneous_critical(columns, alpha, settings.bootstrap, settings.seed)
    return float(np.nanmax([critical, t_critical(alpha, df)]))


def _aggregations(data, aggs, df: float, alpha: float, band: float | None,
                  headline: tuple) -> dict:
    """The aggregations with R's SEs and (units - 1) df; the group aggregation, which is the
    headline, with the headline's own inference (n - 1 corrected SE, Bell-McCaffrey df) and
    R's SE beside it as `se_did`."""
    head, head_df = headline
    dynamic = []
    for e in sorted(aggs.dynamic):
        row = {"event_time": e, **_interval(aggs.dynamic[e].estimate, aggs.dynamic[e].se, df,
                                           alpha), "post": e >= 0}
        if band is not None:
            row["band_low"] = row["att"] - band * row["se"]
            row["band_high"] = row["att"] + band * row["se"]
        dynamic.append(row)
    return {
        "simple": _interval(aggs.simple.estimate, aggs.simple.se, df, alpha),
        "group": {**_interval(head.estimate, head.se, head_df, alpha), "df": head_df,
                  "se_did": aggs.group.se,
                  "waves": [{"cohort": data.label(g), **_interval(a.estimate, a.se, df, alpha)}
                            for g, a in aggs.by_wave.items()]},
        "dynamic": dynamic,
        "dynamic_overall": _interval(aggs.dynamic_overall.estimate, aggs.dynamic_overall.se,
                                     df, alpha),
        "calendar": [{"period": data.label(t), **_interval(a.estimate, a.se, df, alpha)}
                     for t, a in aggs.calendar.items()],
        "calendar_overall": _interval(aggs.calendar_overall.estimate, aggs.calendar_overall.se,
                                      df, alpha),
        "band": "simultaneous" if band is not None else "pointwise",
        "band_critical": band if band is not None else t_critical(alpha, df),
    }


def _group_time(data, gt, df: float, alpha: float) -> list[dict]:
    out = []
    for k in range(len(gt.att)):
        row = _interval(float(gt.att[k]), float(gt.se[k]), df, alpha)
        out.append({"cohort": data.label(int(gt.cohort[k])), "period": data.label(int(gt.period[k])),
                    "event_time": int(gt.period[k] - gt.cohort[k]), "post": bool(gt.post[k]),
                    "units": int(gt.treated[k]), "comparison_units": int(gt.compared[k]), **row})
    return out


def permutation_test(data: WaveData, settings, alpha: float) -> dict:
    """Randomization inference on the headline: rollout dates (and 'never') re-assigned at
    random across units, wave sizes kept. The headline is linear in the outcomes, so the test
    of "the effect is d" (d taken off every treated cell after its rollout) is s - d h per
    assignment, with s the headline of the data and h that of the treatment indicator; the
    interval inverts it (`permutation.invert`)."""
    rng = np.random.default_rng(settings.seed)
    draws = settings.permutations
    T = data.W.shape[1]
    indicator = (np.arange(T)[None, :] >= np.where(data.cohort == staggered.NEVER, T,
                                                    data.cohort)[:, None]).astype(float)
    observed = _headline(data.Y, data.W, data.cohort[None, :], settings)[0]
    assignments = np.array([rng.permutation(data.cohort) for _ in range(draws)])
    s = _headline(data.Y, data.W, assignments, settings)
    h = _headline(indicator, data.W, assignments, settings)
    low, high, smallest = invert(s, h, float(observed), False, alpha)
    extreme = np.sum(np.abs(s) >= abs(observed) - 1e-10 * max(1.0, abs(observed)))
    return {"p_value": float((1 + extreme) / (1 + draws)), "smallest_p": smallest,
            "ci_low": float("-inf") if low is None else low,
            "ci_high": float("inf") if high is None else high, "draws": draws,
            "randomization": (s, h, float(observed), False,
                              f"waves:{hash((data.units.tobytes(), data.cohort.tobytes()))}:"
                              f"{draws}:{settings.seed}")}


def _headline(Y: np.ndarray, W: np.ndarray, cohorts: np.ndarray, settings) -> np.ndarray:
    """The group aggregation for each row of `cohorts` (assignments x units), vectorised over
    assignments: per wave and post period, weighted means through matrix products."""
    T = W.shape[1]
    waves = np.unique(cohorts[0][cohorts[0] != staggered.NEVER])
    sizes = np.array([np.sum(cohorts[0] == g) for g in waves], dtype=float)
    total = np.zeros(len(cohorts))
    for g, size in zip(waves, sizes / sizes.sum()):
        b = g - 1
        parts = []
        for t in range(g, T):
            wt, wb = W[:, t], W[:, b]
            both = (wt > 0) & (wb > 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                h = np.where(both, wt * wb / (wt + wb), 0.0)
            change = np.where(both, Y[:, t] - Y[:, b], 0.0)
            in_wave = (cohorts == g).astype(float)
            if settings.comparison == "never_treated":
                control = (cohorts == staggered.NEVER).astype(float)
            else:
                control = ((cohorts == staggered.NEVER) | (cohorts > t)).astype(float)
            with np.errstate(divide="ignore", invalid="ignore"):
                att = in_wave @ (h * change) / (in_wave @ h) - control @ (h * change) / (control @ h)
            parts.append(att)
        stacked = np.array(parts)
        total += size * np.nanmean(stacked, axis=0)
    return total
