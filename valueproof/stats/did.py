"""Difference-in-differences per KPI, with event study, power and the checks beside it.

The estimate uses the unit x period panel built by the data stage: each unit-period counts once,
so a unit with many observations (a busy agent) does not outweigh the others, and the clustering
level (the unit) is the level at which the product was assigned.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from valueproof.config.schema import KPI
from valueproof.data import Panel
from valueproof.data.load import FEW_UNITS
from valueproof.errors import DataError
from valueproof.stats.cells import CellFit, contrast, fit_cells, fit_from_unit_sums, wald_test
from valueproof.stats.results import EventPoint, PreTrend, TrendPoint

POWER = 0.80
# Cell order of the 2x2 model: control pre, control post, treatment pre, treatment post.
DID_WEIGHTS = np.array([1.0, -1.0, -1.0, 1.0])
PRE_POST_WEIGHTS = np.array([-1.0, 1.0])


def dense_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted unique values, code of each value) like np.unique(return_inverse=True), but O(n)
    through bincount when the values are integers (or days) in a modest range."""
    as_int = values.view(np.int64) if values.dtype.kind in "iM" and values.itemsize == 8 else None
    if as_int is not None and len(as_int):
        low, high = int(as_int.min()), int(as_int.max())
        if high - low < 4 * len(as_int) + 1024:
            offsets = as_int - low
            present = np.bincount(offsets, minlength=high - low + 1) > 0
            codes = np.cumsum(present) - 1
            uniques = (np.flatnonzero(present) + low).astype(np.int64).view(values.dtype)
            return uniques, codes[offsets]
    return np.unique(values, return_inverse=True)


class KPIData:
    """One KPI's usable unit-period rows, ready for the estimators."""

    def __init__(self, panel: Panel, kpi: KPI, has_control: bool):
        values = panel.values[kpi.id]
        keep = ~np.isnan(values)
        if not has_control:
            keep &= panel.treated
        if keep.all():
            keep = slice(None)  # a view, not a copy, of every array below
        y = values[keep]
        if kpi.transform == "log":
            if np.any(y <= 0):
                raise DataError(
                    f"KPI '{kpi.id}': transform 'log' needs positive values, but "
                    f"{int(np.sum(y <= 0))} unit-period value(s) are zero or negative; "
                    "use transform: none"
                )
            y = np.log(y)
        self.kpi = kpi
        self.y = y
        self.treated = panel.treated[keep]
        self.post = panel.post[keep]
        self.period = panel.period[keep]
        self.counts = panel.counts[kpi.id][keep]
        self.unit_codes = panel.unit[keep]  # codes into panel.unit_names
        self.units, self.cluster = dense_codes(self.unit_codes)
        self.has_control = has_control
        # Each unit's group: the block of cells its observations fall in.
        n = len(self.units)
        treated_rows = np.bincount(self.cluster, weights=self.treated, minlength=n)
        all_rows = np.bincount(self.cluster, minlength=n)
        if np.any((treated_rows > 0) & (treated_rows < all_rows)):
            raise ValueError("a unit is both treated and control; the data stage drops such units")
        self.unit_block = (treated_rows > 0).astype(np.int64) if has_control else np.zeros(n, np.int64)
        self._n_units = {"treatment": int(np.count_nonzero(treated_rows))}
        if has_control:
            self._n_units["control"] = int(n - self._n_units["treatment"])
        # Sufficient statistics: per unit, the sum and count of its values in every event
        # period (a period, split where it straddles the rollout). Both the 2x2 model and the
        # event study are fitted from these G x E tables, not from the rows.
        self.period_values, period_index = dense_codes(self.period)
        self.event_keys, self.event_index = dense_codes(period_index * 2 + self.post)
        events = len(self.event_keys)
        key = self.cluster * events + self.event_index
        self.unit_event_sums = np.bincount(key, weights=y, minlength=n * events).reshape(n, events)
        # float, so that the products below run in BLAS (integer matmul does not)
        self.unit_event_counts = np.bincount(key, minlength=n * events).reshape(n, events).astype(float)

    def unit_window_sums(self) -> tuple[np.ndarray, np.ndarray]:
        """(G, 2) sums and counts of each unit's values before (0) and after (1) the rollout."""
        post = (self.event_keys % 2).astype(float)
        to_window = np.column_stack([1.0 - post, post])
        return self.unit_event_sums @ to_window, self.unit_event_counts @ to_window

    def n_units(self) -> dict[str, int]:
        return dict(self._n_units)

    def main_cells(self) -> tuple[np.ndarray, int]:
        if self.has_control:
            return self.treated.astype(np.int64) * 2 + self.post, 4
        return self.post.astype(np.int64), 2


def _t_critical(alpha: float, df: int) -> float:
    return float(stats.t.ppf(1 - alpha / 2, df))


def main_estimate(data: KPIData, se: str) -> CellFit:
    n_cells = 4 if data.has_control else 2
    sums, counts = data.unit_window_sums()
    member = (data.unit_block[None, :] == np.arange(n_cells // 2)[:, None]).astype(float)
    present = (member @ counts).ravel()
    if np.any(present == 0):
        names = (["control pre", "control post", "treatment pre", "treatment post"]
                 if data.has_control else ["pre", "post"])
        empty = [n for n, c in zip(names, present) if c == 0]
        raise DataError(
            f"KPI '{data.kpi.id}' has no values for {', '.join(empty)}; "
            "check the KPI's columns and the windows"
        )
    if data.cluster.max() < 1 and se == "cluster":
        raise DataError(f"KPI '{data.kpi.id}': cluster standard errors need at least two units")
    if se == "cluster":
        return fit_from_unit_sums(sums, counts, data.unit_block)
    cell, n_cells = data.main_cells()
    return fit_cells(data.y, cell, data.cluster, n_cells, se)


def relative_effect(fit: CellFit, has_control: bool, transform: str, alpha: float,
                    effect: float, se: float) -> tuple[float | None, float | None, float | None]:
    """Effect as a share of the counterfactual level, with a delta-method CI (exp for log KPIs)."""
    t = _t_critical(alpha, fit.df)
    if transform == "log":
        return float(np.expm1(effect)), float(np.expm1(effect - t * se)), float(np.expm1(effect + t * se))
    m = fit.means
    if has_control:
        counterfactual = m[2] + m[1] - m[0]
        # r = m3 / cf - 1 with cf = m2 + m1 - m0 (cells: C pre, C post, T pre, T post)
        gradient = np.array([m[3], -m[3], -m[3], counterfactual]) / counterfactual**2
    else:
        counterfactual = m[0]
        gradient = np.array([-m[1] / m[0] ** 2, 1 / m[0]])
    if counterfactual == 0 or not np.isfinite(counterfactual):
        return None, None, None
    ratio = effect / counterfactual
    ratio_se = float(np.sqrt(max(gradient @ fit.cov @ gradient, 0.0)))
    return float(ratio), float(ratio - t * ratio_se), float(ratio + t * ratio_se)


def in_kpi_units(fit: CellFit, has_control: bool, transform: str, alpha: float, effect: float,
                 se: float) -> tuple[float, float, float, float, float, float]:
    """(effect, low, high) in KPI units and the treated post level (value, low, high).

    For log KPIs the effect in KPI units is the counterfactual geometric level times
    (exp(effect) - 1); its interval maps the log-point interval the same way.
    """
    t = _t_critical(alpha, fit.df)
    post_cell = 3 if has_control else 1
    level, half = fit.means[post_cell], t * np.sqrt(max(fit.cov[post_cell, post_cell], 0.0))
    low, high = effect - t * se, effect + t * se
    if transform != "log":
        return effect, low, high, level, level - half, level + half
    counterfactual = np.exp(level - effect)
    to_units = lambda b: float(counterfactual * np.expm1(b))  # noqa: E731
    return (to_units(effect), to_units(low), to_units(high),
            float(np.exp(level)), float(np.exp(level - half)), float(np.exp(level + half)))


def power_mde(se: float, df: int, alpha: float, power: float = POWER) -> float:
    """Smallest true effect a two-sided test at `alpha` detects with `power` (same units as se)."""
    return float((_t_critical(alpha, df) + stats.t.ppf(power, df)) * se)


def _period_labels(periods: np.ndarray) -> list[str]:
    return [str(p) for p in periods]


def event_study(data: KPIData, se: str, alpha: float) -> tuple[PreTrend, list[EventPoint], list[TrendPoint]]:
    """Treated x period coefficients (reference: last pre period), their joint pre-period test,
    and per-period group means for the trend chart."""
    keys, index = data.event_keys, data.event_index
    groups = 2 if data.has_control else 1
    blocks = data.unit_block
    member = (blocks[None, :] == np.arange(groups)[:, None]).astype(float)
    usable = ((member @ data.unit_event_counts) > 0).all(axis=0)  # observed in every group
    n_periods = int(usable.sum())
    if se == "cluster":
        columns = slice(None) if usable.all() else usable
        fit = fit_from_unit_sums(data.unit_event_sums[:, columns],
                                 data.unit_event_counts[:, columns], blocks)
    else:
        keep = usable[index]
        within = (np.cumsum(usable) - 1)[index[keep]]
        fit = fit_cells(data.y[keep], blocks[data.cluster[keep]] * n_periods + within,
                        dense_codes(data.cluster[keep])[1], groups * n_periods, se)
    keys = keys[usable]
    periods = _period_labels(data.period_values[keys // 2])
    is_post = (keys % 2).astype(bool)
    pre_idx = np.flatnonzero(~is_post)
    t = _t_critical(alpha, fit.df)

    trend = []
    for p in range(n_periods):
        row = {}
        for g, name in enumerate(["control", "treatment"] if data.has_control else ["treatment"]):
            c = g * n_periods + p
            mean, half = fit.means[c], t * np.sqrt(max(fit.cov[c, c], 0.0))
            level = np.exp if data.kpi.transform == "log" else (lambda v: v)
            row[name] = (float(level(mean)), float(level(mean - half)), float(level(mean + half)))
        none = (None, None, None)
        trend.append(TrendPoint(periods[p], bool(is_post[p]), *row.get("treatment", none),
                                *row.get("control", none)))

    if len(pre_idx) == 0:
        return PreTrend("not_testable", None, None, None, 0), [], trend
    ref = int(pre_idx[-1])
    points, pre_rows = [], []
    for p in range(n_periods):
        weights = np.zeros(groups * n_periods)
        if data.has_control:
            weights[[n_periods + p, ref]] += [1.0, 1.0]
            weights[[p, n_periods + ref]] += [-1.0, -1.0]
        else:
            weights[p] += 1.0
            weights[ref] -= 1.0
        value, error = contrast(fit, weights) if p != ref else (0.0, 0.0)
        points.append(EventPoint(periods[p], bool(is_post[p]), value, value - t * error,
                                 value + t * error, reference=p == ref))
        if p != ref and not is_post[p]:
            pre_rows.append(weights)
    if not data.has_control or len(pre_rows) == 0:
        return PreTrend("not_testable", None, None, None, len(pre_rows)), points, trend
    statistic, df, p_value = wald_test(fit, np.array(pre_rows), se)
    if not np.isfinite(p_value):
        return PreTrend("not_testable", None, None, None, len(pre_rows)), points, trend
    status = "passed" if p_value >= alpha else "failed"
    return PreTrend(status, p_value, statistic, df, len(pre_rows)), points, trend


def unit_changes(data: KPIData) -> tuple[np.ndarray, np.ndarray]:
    """Per unit (with data in both windows): mean post value - mean pre value; and treated flag."""
    sums, counts = data.unit_window_sums()
    both = (counts > 0).all(axis=1)
    change = sums[both, 1] / counts[both, 1] - sums[both, 0] / counts[both, 0]
    return change, data.unit_block[both].astype(bool) if data.has_control else np.ones(both.sum(), bool)


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
    """(units in panel, 4): sum and count of unit-period values before and after the rollout."""
    sums, counts = data.unit_window_sums()
    out = np.zeros((n_units_total, 4))
    out[data.units] = np.column_stack([sums[:, 0], counts[:, 0], sums[:, 1], counts[:, 1]])
    return out


def check_variance(kpi: KPI, se_value: float) -> None:
    if not np.isfinite(se_value) or se_value <= 0:
        raise DataError(
            f"KPI '{kpi.id}' has no variance (every unit-period value is the same), so nothing "
            "can be tested; check the KPI's column or drop the KPI"
        )


def few_unit_warnings(n_units: dict[str, int]) -> list[str]:
    out = []
    for arm, count in n_units.items():
        if count == 1 and arm == "treatment":
            out.append("only one treated unit: cluster standard errors are unreliable; "
                       "the p-value shown is the permutation test's")
        elif count < FEW_UNITS:
            out.append(f"the {arm} group has only {count} units; treat the interval with caution")
    return out

