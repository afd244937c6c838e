"""One count KPI with `model: poisson`: the rate ratio, its forms in KPI units and as a relative
effect, the few-unit randomization interval, and the pre-trend check on the log scale.

- Effect: the treated x post coefficient of `stats.poisson` (log points; rate ratio RR =
  exp(effect)), its SE, t interval and p-value with the fit's degrees of freedom.
- Relative effect: RR - 1, interval exp(bounds) - 1.
- In KPI units (per unit-period): the treated units' post-rollout mean m times (1 - 1/RR), what
  they had minus what they would have had without the product (m / RR: the Poisson score
  equations make the fitted treated post total equal the observed one, so this is the model's
  average effect on the treated, in counts). Its interval maps the RR interval's ends the same
  way, m taken as measured. Units without any event count in m (as zeros) though they drop out
  of the fit.
- Few treated units (1-3, or a group under 5): the permutation test leads, as for linear KPIs;
  its interval inverts the hypothesis "the product multiplied the treated units' post-rollout
  counts by r" (their post values divided by r, the labels permuted): the statistic is linear in
  d = 1 - 1/r, so `permutation.invert` finds the bounds exactly.
- Pre-trend check: the difference between the groups' log-linear trends before the rollout (the
  Poisson model on the pre-rollout cells with treated x centred period index as its one slope,
  CR2 by default), test `linear_trend`; the event-study chart shows each period's treated -
  control gap in log points (Poisson with one treated x period term per period, CR1 intervals),
  leaving out periods in which one group had no event at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from valueproof.errors import DataError
from valueproof.stats import did, poisson, twfe
from valueproof.stats.event_study import pre_trend_design, trend_points
from valueproof.stats.permutation import assignments, invert
from valueproof.stats.results import (EventPoint, PreTrend, RandomizationDraws, Robustness,
                                      UnitInfluence)


@dataclass(frozen=True)
class PoissonEstimate(did.Estimate):
    zero_units: int = 0  # units without any event: left out of the fit
    zero_periods: int = 0  # periods without any event: left out of the fit


def check_counts(kpis, findings) -> None:
    """A Poisson KPI counts things: a negative value in its column (the data stage's
    `negative_values` finding) is an error naming the key, for `validate` and `analyze` alike."""
    negative = {f.params.get("column"): f.params.get("rows", 0) for f in findings
                if f.kind == "negative_values"}
    for i, kpi in enumerate(kpis):
        if kpi.model == "poisson" and kpi.column in negative:
            raise DataError(
                f"kpis[{i}].model: KPI '{kpi.id}' has model 'poisson', but column "
                f"'{kpi.column}' has {negative[kpi.column]} negative value(s); Poisson "
                "regression needs counts of 0 or more: fix the data or use model: linear")


def check_values(data: did.KPIData) -> None:
    """Poisson regression needs counts: unit-period values of 0 or more."""
    negative = int(np.count_nonzero((data.W > 0) & (data.WY < 0)))
    if negative:
        kpi = data.kpi
        raise DataError(
            f"kpis: KPI '{kpi.id}' has model 'poisson', but {negative} unit-period "
            f"{'value is' if negative == 1 else 'values are'} negative (column "
            f"'{kpi.column or kpi.id}'); Poisson regression needs counts of 0 or more: fix the "
            "data or use model: linear")


def _why_not(data: did.KPIData, means: dict[str, float]) -> str:
    names = {"treatment": "the units with the product", "control": "the comparison units"}
    for key, mean in means.items():
        arm, window = key.split("_")
        if mean <= 0:
            return (f"{names[arm]} had no events {'before' if window == 'pre' else 'after'} the "
                    "rollout, so the rate ratio would be 0 or infinite")
    return "no unit has events on both sides of the rollout"


def main_estimate(data: did.KPIData, se: str) -> PoissonEstimate:
    check_values(data)
    means = did.cell_means(data)
    cells, post = data.cells()
    fit = poisson.fit(cells, post.astype(float)[:, None], se, period_effects=data.has_control)
    if fit is None:
        raise DataError(f"KPI '{data.kpi.id}' (model: poisson): the rate ratio cannot be "
                        f"estimated: {_why_not(data, means)}; use model: linear for this KPI")
    effect, error = float(fit.coef[0]), float(np.sqrt(fit.cov[0, 0]))
    used = data.unit_treated[data.W @ data.estimation.astype(float) > 0][fit.used]
    if np.count_nonzero(~used if data.has_control else used) < 2:
        # a single comparison unit (or a single unit without one) in the fit: its change
        # cannot be told apart from its own ups and downs, so no standard error is valid
        error = float("nan")
    level, level_se = _treated_post_level(data)
    influence = None
    if fit.influence is not None and np.isfinite(error):
        rows = data.W @ data.estimation.astype(float) > 0  # the cells' units, in their order
        influence = (data.units[rows][fit.used], fit.influence[:, 0])
    return PoissonEstimate(effect=effect, se=error, df=fit.df, means=means, level=level,
                           level_se=level_se, cov_effect_level=0.0, n_cells=fit.n_cells,
                           influence=influence, zero_units=fit.zero_units,
                           zero_periods=fit.zero_periods)


def _treated_post_level(data: did.KPIData) -> tuple[float, float]:
    """The treated units' mean per post-rollout cell and its SE clustered by unit."""
    columns = (data.estimation & data.event_post).astype(float)
    weight, weighted = data.W @ columns, data.WY @ columns
    rows = data.unit_treated
    total = weight[rows].sum()
    level = float(weighted[rows].sum() / total)
    influence = np.where(rows, weighted - weight * level, 0.0) / total
    G = len(influence)
    return level, float(np.sqrt(influence @ influence * G / (G - 1))) if G > 1 else float("nan")


def in_kpi_units(level: float, log_ratio: float) -> float:
    """m (1 - 1/RR): the effect per unit-period in KPI units (m: treated post mean)."""
    if log_ratio == -math.inf:
        return -math.inf if level > 0 else 0.0
    return float(-level * np.expm1(-log_ratio))


def ratio_draws(sums: np.ndarray, treated: np.ndarray, draws: int,
                seed: int) -> RandomizationDraws | None:
    """The randomization test of "the product multiplied the treated units' post-rollout
    counts by RR", for few treated units: with d = 1 - 1/RR, assignment A's statistic is
    statistic[A] - d shift[A] against observed - d (`permutation.invert`). `sums` as
    `did.unit_sums`; None when the treated units have no post-rollout events."""
    truly = treated.astype(float)
    totals = sums.sum(axis=0)
    marked = sums[:, 2] * truly  # the truly treated units' post sums
    s, h = [], []
    for assign in assignments(len(treated), int(treated.sum()), draws, seed):
        inside = assign @ sums
        outside = totals - inside
        with np.errstate(divide="ignore", invalid="ignore"):
            s.append((inside[:, 2] / inside[:, 3] - inside[:, 0] / inside[:, 1])
                     - (outside[:, 2] / outside[:, 3] - outside[:, 0] / outside[:, 1]))
            part = assign @ marked
            h.append(part / inside[:, 3] - (marked.sum() - part) / outside[:, 3])
    inside = truly @ sums
    outside = totals - inside
    observed = ((inside[2] / inside[3] - inside[0] / inside[1])
                - (outside[2] / outside[3] - outside[0] / outside[1]))
    base = inside[2] / inside[3]  # the true assignment's shift: the treated post mean
    if not base > 0:
        return None
    exact = math.comb(len(treated), int(treated.sum())) <= draws
    return RandomizationDraws(np.concatenate(s) / base, np.concatenate(h) / base,
                              float(observed / base), exact)


def ratio_interval(draws: RandomizationDraws | None,
                   alpha: float) -> tuple[float, float, float]:
    """The randomization interval of log(RR): (low, high, smallest attainable p); -inf / inf
    where no ratio is rejected on that side."""
    if draws is None:
        return -math.inf, math.inf, 1.0
    low, high, smallest = invert(draws.statistic, draws.shift, draws.observed, draws.exact,
                                 alpha)
    to_log = lambda d: -math.log1p(-d) if d < 1 else math.inf  # noqa: E731  d = 1 - 1/RR
    return (-math.inf if low is None else to_log(low), math.inf if high is None else to_log(high),
            smallest)


def fields(kpi, data: did.KPIData, estimate: PoissonEstimate, settings, findings: list,
           permutation: dict | None, verdict_alpha: float, unit_names) -> dict:
    """The KPIResult fields of a Poisson KPI (`stats.analyze_dataset` adds the adjusted p).
    `permutation`: p, sums, treated, draws, exact of the randomization test (None without a
    control group)."""
    alpha, se = settings.alpha, settings.se
    effect, error, df = estimate.effect, estimate.se, estimate.df
    t_crit = did.t_critical(alpha, df)
    model_p = (float(2 * stats.t.sf(abs(effect / error), df)) if df > 0 and np.isfinite(error)
               else float("nan"))
    n_units = data.n_units()
    perm_p = permutation["p"] if permutation else None
    few = permutation is not None and (n_units["treatment"] <= 3 or min(n_units.values()) < 5)
    inference = "permutation" if few and perm_p is not None else "model"
    welch_p, rank_p, with_change = did.change_tests(data)
    pre_trend, points, trend = event_study(data, se, alpha, settings.permutations, settings.seed)
    warnings = did.estimate_warnings(n_units, error, pre_trend)
    if estimate.zero_units:
        warnings.append(
            f"{estimate.zero_units} unit(s) had no events in the compared periods: they carry "
            "no information on a rate ratio and are left out of the Poisson fit (their zeros "
            "still count in the means)")
    if estimate.zero_periods:
        warnings.append(f"{estimate.zero_periods} period(s) without any event in either group "
                        "are left out of the Poisson fit")
    ci_low, ci_high = effect - t_crit * error, effect + t_crit * error
    smallest_p, detectable, mde = None, True, did.power_mde(error, df, verdict_alpha)
    p_value, randomization = model_p, None
    if inference == "permutation":
        p_value = perm_p
        randomization = ratio_draws(permutation["sums"], permutation["treated"],
                                    settings.permutations, settings.seed)
        ci_low, ci_high, smallest_p = ratio_interval(randomization, alpha)
        detectable = smallest_p < verdict_alpha
        low_v, high_v, _ = (ratio_interval(randomization, verdict_alpha) if detectable
                            else (0, 0, 0))
        z = stats.norm.ppf(1 - verdict_alpha / 2)
        mde = ((high_v - low_v) / 2 * (z + stats.norm.ppf(did.POWER)) / z
               if detectable and np.isfinite(high_v - low_v) else float("nan"))
        if not detectable:
            warnings.append(
                f"not detectable with this design: with {n_units['treatment']} treated and "
                f"{n_units['control']} control units the smallest p-value any effect could "
                f"give is {smallest_p:.3g}, not below {verdict_alpha:.3g}")
    level = estimate.level
    half = t_crit * estimate.level_se
    attrition = did.attrition(data)
    sensitivity = None
    if any(a["left"] or a["joined"] for a in attrition.values()):
        sensitivity = _sensitivity(data, se, alpha)
    warnings += [f.message for f in findings if f.kpi == kpi.id]
    return dict(
        id=kpi.id, label=kpi.display_label, unit=kpi.unit, better=kpi.better,
        aggregate=kpi.aggregate, transform=kpi.transform, estimand=did.estimand(kpi),
        method="did" if data.has_control else "pre_post", inference=inference, n_units=n_units,
        n_obs=data.n_obs, n_cells=estimate.n_cells, means=estimate.means, effect=effect,
        se=error, df=df, ci_low=ci_low, ci_high=ci_high, p_value=p_value,
        smallest_p=smallest_p, detectable=detectable,
        relative_effect=float(np.expm1(effect)), relative_ci_low=_ratio(ci_low) - 1,
        relative_ci_high=_ratio(ci_high) - 1, mde=mde, pre_trend=pre_trend,
        effect_units=in_kpi_units(level, effect), effect_units_low=in_kpi_units(level, ci_low),
        effect_units_high=in_kpi_units(level, ci_high),
        level=level, level_low=level - half, level_high=level + half,
        robustness=Robustness(welch_p, rank_p, perm_p,
                              permutation["draws"] if permutation else 0,
                              permutation["exact"] if permutation else False, with_change),
        event_study=points, trend=trend, attrition=attrition, sensitivity=sensitivity,
        warnings=warnings, model="poisson", rate_ratio=_ratio(effect),
        rate_ratio_ci_low=_ratio(ci_low), rate_ratio_ci_high=_ratio(ci_high),
        units_without_events=estimate.zero_units, randomization=randomization,
        influence=None if estimate.influence is None else UnitInfluence.scaled(
            [unit_names[c] for c in estimate.influence[0]], estimate.influence[1], error),
    )


def _ratio(log_ratio: float) -> float:
    """exp(log ratio), 0 and infinity at the ends (NaN without an interval)."""
    if np.isnan(log_ratio) or np.isfinite(log_ratio):
        return float(np.exp(log_ratio))
    return 0.0 if log_ratio < 0 else math.inf


def _sensitivity(data: did.KPIData, se: str, alpha: float) -> dict | None:
    """The log rate ratio on the units seen both before and after the rollout only."""
    both = data.both_sides()
    cells, post = data.cells(both)
    if len(cells.fe) < 2:
        return None
    fit = poisson.fit(cells, post.astype(float)[:, None], se, period_effects=data.has_control)
    if fit is None or fit.df <= 0 or not np.isfinite(fit.cov[0, 0]):
        return None
    effect, error = float(fit.coef[0]), float(np.sqrt(fit.cov[0, 0]))
    t = did.t_critical(alpha, fit.df)
    return {"effect": effect, "se": error, "ci_low": effect - t * error,
            "ci_high": effect + t * error, "units": int(both.sum())}


def event_study(data: did.KPIData, se: str, alpha: float, permutations: int = 2000,
                seed: int = 20240601) -> tuple[PreTrend, list[EventPoint], list]:
    """The pre-trend check on the log scale, the event-study points (log points, relative to
    the mean pre-rollout gap) and the trend chart's group means (KPI units)."""
    trend = trend_points(data, alpha)
    none = PreTrend("not_testable", None, None, None, 0)
    if not data.has_control:
        return none, [], trend
    cells, post = data.cells()
    if np.count_nonzero(~post) < 2 or len(cells.fe) < 2:
        return none, [], trend
    labels = [str(v) for v in data.event_period[data.estimation]]
    return (log_trend(data, cells, post, se, alpha, permutations, seed),
            _points(cells, post, labels, se, alpha), trend)


def _points(cells: twfe.Cells, post: np.ndarray, labels: list[str], se: str,
            alpha: float) -> list[EventPoint]:
    treated = cells.fe_treated[cells.fe].astype(float)
    totals = np.where(cells.W > 0, cells.WY, 0.0)
    both = (treated @ totals > 0) & ((1 - treated) @ totals > 0)  # a gap needs both groups
    periods = np.flatnonzero(both)
    pre = [i for i, p in enumerate(periods) if not post[p]]
    if len(pre) < 1 or len(periods) < 2:
        return []
    W, WY = cells.W[:, periods], cells.WY[:, periods]
    rows = W @ np.ones(len(periods)) > 0
    sub = twfe.Cells(W[rows], WY[rows], np.arange(rows.sum()) if cells.fe_is_cluster
                     else cells.fe[rows], cells.fe_treated[rows] if cells.fe_is_cluster
                     else cells.fe_treated, cells.fe_is_cluster)
    T = len(periods)
    others = [p for p in range(T) if p != pre[-1]]
    fit = poisson.fit(sub, np.eye(T)[:, others], se)
    if fit is None or fit.df <= 0:
        return []
    coef, cov = np.zeros(T), np.zeros((T, T))
    coef[others] = fit.coef
    cov[np.ix_(others, others)] = fit.cov
    centre = np.eye(T)
    centre[:, pre] -= 1.0 / len(pre)
    centred, centred_cov = centre @ coef, centre @ cov @ centre.T
    t = did.t_critical(alpha, fit.df)
    out = []
    for i, p in enumerate(periods):
        half = t * np.sqrt(max(centred_cov[i, i], 0.0))
        out.append(EventPoint(labels[p], bool(post[p]), float(centred[i]),
                              float(centred[i] - half), float(centred[i] + half)))
    return out


def log_trend(data: did.KPIData, cells: twfe.Cells, post: np.ndarray, se: str,
              alpha: float, permutations: int = 2000, seed: int = 20240601) -> PreTrend:
    """Do the groups' log-linear trends differ before the rollout? Poisson on the pre-rollout
    cells with treated x (period index, centred) as the one slope; the slope is the difference
    in growth per period (log points), tested with its t test (CR2 by default). With few units
    (1-3 treated, or a group under 5) the score test of that slope by randomization decides
    when the design can give a p-value below alpha."""
    pre = np.flatnonzero(~post)
    pre_cells, regressor = pre_trend_design(cells, pre)
    fit = poisson.fit(pre_cells, regressor, se)
    smallest = min(data.n_units().values())
    if (fit is None or fit.df <= 0 or not np.isfinite(fit.cov[0, 0]) or fit.cov[0, 0] <= 0
            or smallest < 2):
        return PreTrend("not_testable", None, None, None, 1)
    slope, error = float(fit.coef[0]), float(np.sqrt(fit.cov[0, 0]))
    p_value = float(2 * stats.t.sf(abs(slope / error), fit.df))
    trend = dict(trend=slope, trend_p=p_value, detectable_trend=did.power_mde(error, fit.df, alpha))
    n = data.n_units()
    if n["treatment"] <= 3 or min(n.values()) < 5:
        randomized, smallest = _score_randomization(pre_cells, regressor[:, 0],
                                                    permutations, seed)
        if smallest < alpha:
            return PreTrend("detected" if randomized < alpha else "not_detected", randomized,
                            None, None, 1, "randomization", **trend)
    return PreTrend("detected" if p_value < alpha else "not_detected", p_value, None, None, 1,
                    "linear_trend", **trend)


def _score_randomization(cells: twfe.Cells, index: np.ndarray, draws: int,
                         seed: int) -> tuple[float, float]:
    """Randomization score test of treated x period index: each unit's score u_i = sum_t
    index_t (y_it - mu_it) under the model without it (fitted once: it does not depend on who
    is treated) and its Poisson variance v_i given the unit's total; the statistic |sum u| /
    sqrt(sum v) over the treated units, against the same for re-assigned labels (studentised,
    so that busy units' noise does not drown quiet treated units' trend). Returns (p-value,
    smallest attainable p-value)."""
    residuals = poisson.null_residuals(cells)
    if residuals is None or not cells.fe_is_cluster:
        return 1.0, 1.0
    mu = np.where(cells.W > 0, cells.WY - residuals, 0.0)
    scores = residuals @ index
    variances = mu @ index**2 - (mu @ index) ** 2 / np.maximum(mu @ np.ones(len(index)), 1e-300)
    treated = cells.fe_treated.astype(float)

    def statistic(assign: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.nan_to_num(np.abs(assign @ scores) / np.sqrt(assign @ variances))

    observed = statistic(treated[None, :])[0]
    statistics = np.concatenate([statistic(a) for a in assignments(
        len(treated), int(treated.sum()), draws, seed)])
    extreme = int(np.sum(statistics >= observed * (1 - 1e-10) - 1e-12))
    if math.comb(len(treated), int(treated.sum())) <= draws:
        return extreme / len(statistics), 1 / len(statistics)
    return (1 + extreme) / (1 + len(statistics)), 1 / (1 + len(statistics))
