"""Difference-in-differences per KPI: the headline estimate, its relative and level forms,
power and the checks beside it (the event study is in `stats.event_study`).

The estimate is a weighted two-way fixed-effects regression on the unit x period table built by
the data stage (`stats.twfe`): unit and period fixed effects for panels, group and period effects
for repeated cross-sections. Cells weigh by their observations for mean and rate KPIs (so the
effect is per observation, and rates compare pooled ratios of sums), or once each (`weight:
units`, and always for counts and sums, whose effect is per unit-period). A period that straddles
the rollout mixes before and after: it is shown in the charts but left out of every estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from valueproof.config.kpis import KPI
from valueproof.data import Panel
from valueproof.data.panel import dense_codes
from valueproof.data.thresholds import FEW_UNITS
from valueproof.errors import DataError
from valueproof.stats import twfe

POWER = 0.80


def straddling_period(panel: Panel):
    """The period split by the rollout (it holds both pre- and post-rollout cells), or None.
    Only the first post-rollout period can be."""
    if not panel.post.any() or panel.post.all():
        return None
    first_post = panel.period[panel.post].min()
    return first_post if np.any(panel.period[~panel.post] == first_post) else None


def model_scale(kpi: KPI, values: np.ndarray) -> np.ndarray:
    """Cell values on the scale the model uses: logs for `transform: log` (which needs
    positive values), else as they are."""
    if kpi.transform != "log":
        return values
    if np.any(values <= 0):
        raise DataError(
            f"KPI '{kpi.id}': transform 'log' needs positive values, but "
            f"{int(np.sum(values <= 0))} unit-period value(s) are zero or negative; "
            "use transform: none"
        )
    return np.log(values)


@dataclass(frozen=True)
class _CellIndex:
    """Where a KPI's usable cells go in the dense units x events matrices: the same for every
    KPI with the same usable cells (`_cell_index`)."""

    units: np.ndarray  # panel unit code of each row
    flat: np.ndarray  # each cell's place in the flattened (units, events) matrix
    event_period: np.ndarray
    event_post: np.ndarray
    event_partial: np.ndarray
    unit_treated: np.ndarray


def _cell_index(panel: Panel, keep, shared: dict) -> _CellIndex:
    """The `_CellIndex` of the panel's cells `keep` (a bool mask, or every cell), found in
    `shared` when another KPI of this panel had the same usable cells (the KPIs of one data set
    mostly do: the same units, periods and grid), else computed and kept there."""
    key = b"all" if isinstance(keep, slice) else keep.tobytes()
    if key in shared:
        return shared[key]
    units, cluster = dense_codes(panel.unit[keep])
    period_values, period = dense_codes(panel.period[keep])
    post = panel.post[keep]
    event_keys, event = dense_codes(period * 2 + post.view(np.int8))
    if "straddling" not in shared:
        shared["straddling"] = straddling_period(panel)
    event_period = period_values[event_keys // 2]
    treated = panel.treated[keep]
    unit_treated = np.zeros(len(units), bool)
    unit_treated[cluster] = treated
    if np.any(unit_treated[cluster] != treated):
        raise ValueError("a unit is both treated and control; the data stage drops such units")
    shared[key] = _CellIndex(
        units, cluster * len(event_keys) + event, event_period, (event_keys % 2).astype(bool),
        event_period == shared["straddling"] if len(event_keys) else np.zeros(0, bool),
        unit_treated)
    return shared[key]


class KPIData:
    """One KPI's usable cells as dense units x events matrices, ready for the estimators.

    An event is a period, split in two where the rollout falls inside it. `W` holds each cell's
    weight (0: no cell), `WY` weight x value (values are logs for log KPIs). The period split by
    the rollout stays in the trend chart (`event_partial`) and out of every estimate.
    """

    def __init__(self, panel: Panel, kpi: KPI, has_control: bool, unit_effects: bool = True,
                 shared: dict | None = None):
        values = panel.values[kpi.id]
        counts = panel.counts[kpi.id]
        if kpi.per_observation:
            weights = panel.weights.get(kpi.id, counts).astype(float)
        else:
            weights = np.ones(len(values))
        keep = ~np.isnan(values) & (weights > 0)
        if not has_control:
            keep &= panel.treated
        if keep.all():
            keep = slice(None)  # views, not copies, of every array below
        y = model_scale(kpi, values[keep])
        self.kpi = kpi
        self.has_control = has_control
        self.unit_effects = unit_effects
        self.n_obs = int(counts[keep].sum())
        index = _cell_index(panel, keep, {} if shared is None else shared)
        self.units, flat, G, E = index.units, index.flat, len(index.units), len(index.event_post)
        w = weights[keep]
        self.W = np.bincount(flat, w, G * E).reshape(G, E)
        self.WY = np.bincount(flat, w * y, G * E).reshape(G, E)
        self.event_period, self.event_post = index.event_period, index.event_post
        self.event_partial = index.event_partial
        self.estimation = ~self.event_partial
        self.unit_treated = index.unit_treated
        self._n_units = {"treatment": int(np.count_nonzero(self.unit_treated))}
        if has_control:
            self._n_units["control"] = int(G - self._n_units["treatment"])

    def n_units(self) -> dict[str, int]:
        return dict(self._n_units)

    def cells(self, units: np.ndarray | None = None) -> tuple[twfe.Cells, np.ndarray]:
        """The estimation cells (optionally only of `units`, a bool mask over units) and the
        post-rollout flag of each of their periods."""
        if units is None:
            if not hasattr(self, "_all_cells"):  # shared by the headline and the event study
                self._all_cells = self._cells(None)
            return self._all_cells
        return self._cells(units)

    def _cells(self, units: np.ndarray | None) -> tuple[twfe.Cells, np.ndarray]:
        W, WY = self.W, self.WY
        if not self.estimation.all():
            W, WY = W[:, self.estimation], WY[:, self.estimation]
        rows = W @ np.ones(W.shape[1]) > 0
        if units is not None:
            rows &= units
        if not rows.all():
            W, WY = W[rows], WY[rows]
        treated = self.unit_treated[rows]
        if self.unit_effects:
            fe, fe_treated = np.arange(len(treated)), treated
        elif self.has_control:  # repeated cross-section: group effects
            fe, fe_treated = treated.astype(np.int64), np.array([False, True])
        else:
            fe, fe_treated = np.zeros(len(treated), np.int64), np.array([True])
        return twfe.Cells(W, WY, fe, fe_treated, self.unit_effects), self.event_post[self.estimation]

    def unit_window_sums(self) -> tuple[np.ndarray, np.ndarray]:
        """(G, 2) weighted sums and weights of each unit's estimation cells before (0) and
        after (1) the rollout."""
        post = self.event_post.astype(float) * self.estimation
        to_window = np.column_stack([(1.0 - self.event_post) * self.estimation, post])
        return self.WY @ to_window, self.W @ to_window

    def both_sides(self) -> np.ndarray:
        """(G,) units with estimation cells before and after the rollout."""
        return (self.unit_window_sums()[1] > 0).all(axis=1)


@dataclass(frozen=True)
class Estimate:
    """The headline effect of one KPI and what its relative and level forms need."""

    effect: float  # KPI units, or log points for log KPIs
    se: float  # nan when the design leaves no degrees of freedom
    df: float
    means: dict[str, float]  # weighted cell means (model scale), descriptive
    level: float  # treated post-rollout weighted mean (model scale)
    level_se: float
    cov_effect_level: float
    n_cells: int
    # each unit's influence on the effect, with se**2 = its sum of squares: (panel unit codes,
    # values); None when the SE does not come from them (iid, hc1) or is not available
    influence: tuple[np.ndarray, np.ndarray] | None = None


def t_critical(alpha: float, df: int) -> float:
    return float(stats.t.ppf(1 - alpha / 2, df)) if df > 0 else float("nan")


def cell_means(data: KPIData) -> dict[str, float]:
    """Weighted mean of each group and window over the estimation cells (model scale)."""
    sums, weights = data.unit_window_sums()
    means = {}
    for arm, flag in (("control", False), ("treatment", True)):
        if arm == "control" and not data.has_control:
            continue
        rows = data.unit_treated == flag
        for column, window in enumerate(("pre", "post")):
            total = weights[rows, column].sum()
            if total <= 0:
                raise DataError(f"KPI '{data.kpi.id}' has no values for the {arm} group in the "
                                f"{window} window; check the KPI's columns and the windows")
            means[f"{arm}_{window}"] = float(sums[rows, column].sum() / total)
    return means


def fit_effect(data: KPIData, se: str, units: np.ndarray | None = None) -> twfe.TwfeFit | None:
    """The treated x post coefficient (or post, without a control group)."""
    cells, post = data.cells(units)
    if len(cells.fe) == 0:
        return None
    return twfe.fit(cells, post.astype(float)[:, None], se, period_effects=data.has_control)


def main_estimate(data: KPIData, se: str) -> Estimate:
    means = cell_means(data)
    fit = fit_effect(data, se)
    if fit is None:
        raise DataError(f"KPI '{data.kpi.id}': the effect cannot be estimated from these data "
                        "(no unit changes between before and after); check the windows")
    effect, error = float(fit.coef[0]), float(np.sqrt(fit.cov[0, 0]))
    n_units = data.n_units()
    if n_units["control" if data.has_control else "treatment"] < 2:
        # a single control unit (or a single unit without control): its change cannot be told
        # apart from its own ups and downs, so no standard error is valid
        error = float("nan")
    level, level_se, cov = _treated_post_level(data, fit)
    influence = None
    if fit.influence is not None and np.isfinite(error):
        used = data.W @ data.estimation.astype(float) > 0  # the units of the fit, in its order
        influence = (data.units[used], fit.influence[:, 0])
    return Estimate(effect, error, fit.df, means, level, level_se, cov, fit.n_cells, influence)


def _treated_post_level(data: KPIData, fit: twfe.TwfeFit) -> tuple[float, float, float]:
    """The treated group's weighted post-rollout mean, its SE (clustered by unit) and its
    covariance with the effect (through the units' influences, when the fit has them)."""
    columns = (data.estimation & data.event_post).astype(float)
    weight, weighted = data.W @ columns, data.WY @ columns  # each unit's post-rollout sums
    rows = data.unit_treated
    total = weight[rows].sum()
    level = float(weighted[rows].sum() / total)
    influence = np.where(rows, weighted - weight * level, 0.0) / total
    G = len(influence)
    influence *= np.sqrt(G / (G - 1)) if G > 1 else np.nan
    level_se = float(np.sqrt(influence @ influence))
    cov = 0.0
    used = data.W @ data.estimation.astype(float) > 0  # the units of the fit, in its order
    if fit.influence is not None and len(fit.influence) == used.sum():
        cov = float(influence[used] @ fit.influence[:, 0])
    return level, level_se, cov


def relative_effect(estimate: Estimate, transform: str,
                    alpha: float) -> tuple[float | None, float | None, float | None]:
    """Effect as a share of the counterfactual level (treated post level minus the effect):
    r = e / c with c = m - e, and its Fieller interval; exp(effect) - 1 for log KPIs.

    Fieller's interval inverts the t test of e - r c = 0, so it stays honest when the
    counterfactual level is itself uncertain (the delta method's symmetric interval missed the
    truth mostly on the favourable side). When the counterfactual's own interval includes zero
    the set is unbounded: the bounds are then None ("not estimable").
    """
    t = t_critical(alpha, estimate.df)
    effect, se = estimate.effect, estimate.se
    if transform == "log":
        return float(np.expm1(effect)), float(np.expm1(effect - t * se)), float(np.expm1(effect + t * se))
    counterfactual = estimate.level - effect
    if counterfactual == 0 or not np.isfinite(counterfactual):
        return None, None, None
    ratio = float(effect / counterfactual)
    if not (np.isfinite(t) and np.isfinite(se)):
        return ratio, None, None
    var_e, cov_em, var_m = se**2, estimate.cov_effect_level, estimate.level_se**2
    var_c = var_m + var_e - 2 * cov_em  # c = m - e
    cov_ec = cov_em - var_e
    # (e - r c)^2 = t^2 (var_e - 2 r cov_ec + r^2 var_c): a r^2 - 2 b r + k = 0
    a = counterfactual**2 - t**2 * var_c
    b = effect * counterfactual - t**2 * cov_ec
    k = effect**2 - t**2 * var_e
    disc = b * b - a * k
    if a <= 0 or disc < 0:
        return ratio, None, None
    root = np.sqrt(disc)
    return ratio, float((b - root) / a), float((b + root) / a)


def counterfactual_precision(estimate: Estimate) -> float | None:
    """Standard error of the counterfactual level (treated post level - effect) relative to
    the level itself; None for log KPIs or when it cannot be computed."""
    counterfactual = estimate.level - estimate.effect
    variance = (estimate.level_se**2 + estimate.se**2 - 2 * estimate.cov_effect_level)
    if counterfactual == 0 or not np.isfinite(variance) or variance < 0:
        return None
    return float(np.sqrt(variance) / abs(counterfactual))


def in_kpi_units(estimate: Estimate, transform: str,
                 alpha: float) -> tuple[float, float, float, float, float, float]:
    """(effect, low, high) in KPI units and the treated post level (value, low, high).

    For log KPIs the effect in KPI units is the counterfactual geometric level times
    (exp(effect) - 1); its interval maps the log-point interval the same way.
    """
    t = t_critical(alpha, estimate.df)
    effect, se, level = estimate.effect, estimate.se, estimate.level
    half = t * estimate.level_se
    low, high = effect - t * se, effect + t * se
    if transform != "log":
        return effect, low, high, level, level - half, level + half
    counterfactual = np.exp(level - effect)
    to_units = lambda b: float(counterfactual * np.expm1(b))  # noqa: E731
    return (to_units(effect), to_units(low), to_units(high),
            float(np.exp(level)), float(np.exp(level - half)), float(np.exp(level + half)))


def power_mde(se: float, df: int, alpha: float, power: float = POWER) -> float:
    """Smallest true effect a two-sided test at `alpha` detects with `power` (same units as se)."""
    if df <= 0:
        return float("nan")
    return float((t_critical(alpha, df) + stats.t.ppf(power, df)) * se)


def unit_changes(data: KPIData) -> tuple[np.ndarray, np.ndarray]:
    """Per unit with data in both windows: weighted mean post value - mean pre value; treated flag."""
    sums, weights = data.unit_window_sums()
    both = (weights > 0).all(axis=1)
    change = sums[both, 1] / weights[both, 1] - sums[both, 0] / weights[both, 0]
    return change, data.unit_treated[both] if data.has_control else np.ones(both.sum(), bool)


def change_tests(data: KPIData) -> tuple[float | None, float | None, dict[str, int]]:
    """Welch t-test and Mann-Whitney rank test on unit-level changes (treated vs control);
    without a control group, the one-sample t-test and Wilcoxon signed-rank test."""
    change, treated = unit_changes(data)
    counts = {"treatment": int(treated.sum())}
    if data.has_control:
        counts["control"] = int((~treated).sum())
        a, b = change[treated], change[~treated]
        if len(a) < 2 or len(b) < 2:
            return None, None, counts
        welch = stats.ttest_ind(a, b, equal_var=False).pvalue
        rank = stats.mannwhitneyu(a, b, alternative="two-sided").pvalue
    else:
        if len(change) < 2:
            return None, None, counts
        welch = stats.ttest_1samp(change, 0.0).pvalue
        rank = stats.wilcoxon(change).pvalue if np.any(change != 0) else 1.0
    return _finite(welch), _finite(rank), counts


def _finite(value) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def unit_sums(data: KPIData, n_units_total: int) -> np.ndarray:
    """(units in panel, 4): weighted sum and weight of each unit's cells before and after the
    rollout, for the permutation test; units not seen on both sides are left out (zeros), so
    the permuted statistic compares within-unit changes as the fixed-effects model does."""
    sums, weights = data.unit_window_sums()
    both = (weights > 0).all(axis=1)[:, None]
    out = np.zeros((n_units_total, 4))
    out[data.units] = np.column_stack([sums[:, 0], weights[:, 0], sums[:, 1], weights[:, 1]]) * both
    return out


def attrition(data: KPIData) -> dict[str, dict[str, int]]:
    """Per group: units seen on both sides of the rollout, only before (left) or only after
    (joined)."""
    weights = data.unit_window_sums()[1] > 0
    out = {}
    for arm, flag in (("treatment", True), ("control", False)):
        if arm == "control" and not data.has_control:
            continue
        rows = weights[data.unit_treated == flag]
        out[arm] = {"both": int(rows.all(axis=1).sum()), "left": int((rows[:, 0] & ~rows[:, 1]).sum()),
                    "joined": int((~rows[:, 0] & rows[:, 1]).sum())}
    return out


def estimand(kpi: KPI) -> str:
    """What the effect is an average over: `per_observation` (mean KPIs weighted by their
    observations), `pooled_ratio` (rates weighted by their denominators: a ratio of sums), or
    `per_unit_period` (counts, sums, and `weight: units`)."""
    if not kpi.per_observation:
        return "per_unit_period"
    return "pooled_ratio" if kpi.aggregate == "rate" else "per_observation"


def check_variance(kpi: KPI, se_value: float) -> None:
    if se_value == 0 or (np.isfinite(se_value) and se_value < 1e-300):
        raise DataError(
            f"KPI '{kpi.id}' has no variance (every unit-period value is the same), so nothing "
            "can be tested; check the KPI's column or drop the KPI"
        )


def estimate_warnings(n_units: dict[str, int], error: float, pre_trend) -> list[str]:
    """The warnings every KPI's estimate carries: few units, no standard error, a detected
    pre-trend."""
    warnings = few_unit_warnings(n_units)
    if not np.isfinite(error):
        warnings.append("standard error not available: the data leave no degrees of freedom "
                        "for it, so the estimate cannot be tested")
    if pre_trend.status == "detected":
        warnings.append(
            f"pre-trend check: a difference in trends before the rollout was detected "
            f"(p = {pre_trend.p_value:.3g}), so the estimate may be biased")
    return warnings


def few_unit_warnings(n_units: dict[str, int]) -> list[str]:
    out = []
    for arm, count in n_units.items():
        if count == 1 and arm == "treatment":
            out.append("only one treated unit: cluster standard errors are unreliable; "
                       "the p-value shown is the permutation test's")
        elif count < FEW_UNITS and count > 1:  # one unit: the data stage's finding says more
            out.append(f"the {arm} group has only {count} units; treat the interval with caution")
    return out
