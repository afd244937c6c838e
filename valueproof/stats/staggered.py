"""Rollouts in waves: Callaway & Sant'Anna (2021) group-time effects and their aggregations.

A wave (cohort) g is the units whose first period with the product is g. For every wave and
period t, ATT(g,t) compares the wave's change from a base period b to t with the change of
comparison units over the same two periods:

    ATT(g,t) = mean_{i in g}(Y_it - Y_ib) - mean_{j in C}(Y_jt - Y_jb)

(the unconditional outcome-regression form, no covariates). After the rollout (t >= g) the base
is the last period before it, b = g - 1; before the rollout b = t - 1 (`varying`, as R's `did`)
or g - 1 (`universal`). The comparison units C are the never-treated, or also the units not yet
treated by the later of t and b (`not_yet_treated`).

Weights follow the common-rollout model: a unit's change weighs h = w_t w_b / (w_t + w_b), with w
a cell's observations (a rate's denominator) for per-observation KPIs and 1 otherwise. That is the
weight the two-period fixed-effects regression gives it; with equal weights every unit counts
once and the estimator is exactly Callaway and Sant'Anna's. Units missing in t or b leave that
comparison only.

Inference works through influence functions: `influence[i, k]` is unit i's contribution to
ATT number k (estimate - truth ~ column sum), so the variance of any linear aggregation is the
sum of squares of its combined column: clustered by unit, as R's `did` computes it
(mean(IF^2) / n). Aggregations weigh waves by their number of units and add the term for having
estimated those shares (R's `wif`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

NEVER = -1


@dataclass(frozen=True)
class GroupTime:
    """Every ATT(g,t) of one KPI; arrays of length K (one entry per wave x period)."""

    cohort: np.ndarray  # period index of the wave's first period with the product
    period: np.ndarray  # period index of t
    base: np.ndarray  # period index of the base period b
    att: np.ndarray
    rows: np.ndarray  # (K, units): each unit's influence on each ATT(g,t)
    treated: np.ndarray  # units of the wave used
    compared: np.ndarray  # comparison units used
    unit_cohort: np.ndarray  # (units,) wave of each unit, NEVER for the never treated
    share: np.ndarray  # (K,) the wave's share of all units (R's pg)
    # (K, units): each unit's weight in ATT(g,t) as a linear function of the outcomes: +h/sum(h)
    # on its change Y_t - Y_b in the wave, -h/sum(h) in the comparison (for Bell-McCaffrey df)
    weights: np.ndarray | None = None

    @property
    def influence(self) -> np.ndarray:
        """(units, K) view: unit i's contribution to ATT number k."""
        return self.rows.T

    @property
    def post(self) -> np.ndarray:
        return self.period >= self.cohort

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.einsum("ki,ki->k", self.rows, self.rows))


@dataclass(frozen=True)
class Aggregate:
    """One aggregation of the ATT(g,t): the estimate and each unit's influence on it."""

    estimate: float
    influence: np.ndarray  # (units,)

    @property
    def se(self) -> float:
        return float(np.sqrt(self.influence @ self.influence))


def _cells(g: int, t: int, base_period: str) -> int | None:
    """The base period of ATT(g,t), or None when there is none."""
    b = g - 1 if t >= g or base_period != "varying" else t - 1
    return None if b < 0 or t == b else b


def group_time(Y: np.ndarray, W: np.ndarray, cohort: np.ndarray, comparison: str = "never_treated",
               base_period: str = "varying") -> GroupTime:
    """ATT(g,t) for every wave and period.

    Y: (units, periods) cell values (any value where W is 0); W: (units, periods) cell weights,
    0 for a missing cell; cohort: (units,) index of each unit's first period with the product,
    NEVER for units never treated. Periods are consecutive. Each ATT(g,t) touches only the
    wave's and the comparison units, so the work is proportional to them, not to all units.
    """
    n_units, n_periods = W.shape
    waves = np.unique(cohort[cohort != NEVER])
    if comparison != "never_treated" and len(waves) and not np.any(cohort == NEVER):
        # As R's did: nobody is never treated, so the last wave serves as the comparison and
        # the periods from its rollout on (when nobody is left untreated) are not used.
        cohort = np.where(cohort == waves[-1], NEVER, cohort)
        n_periods, waves = int(waves[-1]), waves[:-1]
    if len(waves) and waves[0] < 1:
        raise ValueError("a wave needs a period before its rollout")
    rows = [(g, t, b) for g in waves for t in range(n_periods)
            if (b := _cells(g, t, base_period)) is not None]
    by_period_w, by_period_y = np.ascontiguousarray(W.T), np.ascontiguousarray(Y.T)
    members = {g: np.flatnonzero(cohort == g) for g in waves}
    never = cohort == NEVER
    comparisons = {}

    def comparison_units(g: int, later: int) -> np.ndarray:
        key = (g, later) if comparison != "never_treated" else None
        if key not in comparisons:
            mask = never if key is None else never | ((cohort > later) & (cohort != g))
            comparisons[key] = np.flatnonzero(mask)
        return comparisons[key]

    K = len(rows)
    att = np.full(K, np.nan)
    influence = np.zeros((K, n_units))
    weights = np.zeros((K, n_units))
    treated_n = np.zeros(K, np.int64)
    compared_n = np.zeros(K, np.int64)
    for k, (g, t, b) in enumerate(rows):
        sides = []
        for units in (members[g], comparison_units(g, max(t, b))):
            wt, wb = by_period_w[t, units], by_period_w[b, units]
            both = (wt > 0) & (wb > 0)
            units, wt, wb = units[both], wt[both], wb[both]
            h = wt * wb / (wt + wb)
            sides.append((units, h, by_period_y[t, units] - by_period_y[b, units]))
        (wave_units, h_w, d_w), (control_units, h_c, d_c) = sides
        treated_n[k], compared_n[k] = len(wave_units), len(control_units)
        if not len(wave_units) or not len(control_units):
            continue
        mean_w, mean_c = h_w @ d_w / h_w.sum(), h_c @ d_c / h_c.sum()
        att[k] = mean_w - mean_c
        influence[k, wave_units] = h_w * (d_w - mean_w) / h_w.sum()
        influence[k, control_units] = -h_c * (d_c - mean_c) / h_c.sum()
        weights[k, wave_units], weights[k, control_units] = h_w / h_w.sum(), -h_c / h_c.sum()
    rows = np.array(rows, dtype=np.int64).reshape(-1, 3)
    keep = ~np.isnan(att)
    sizes = {g: np.mean(cohort == g) for g in waves}
    return GroupTime(
        cohort=rows[keep, 0], period=rows[keep, 1], base=rows[keep, 2], att=att[keep],
        rows=influence[keep] if not keep.all() else influence, treated=treated_n[keep],
        compared=compared_n[keep], unit_cohort=cohort,
        share=np.array([sizes[g] for g in rows[keep, 0]], dtype=float),
        weights=weights[keep] if not keep.all() else weights)


def _share_influence(gt: GroupTime, cohorts: np.ndarray, shares: np.ndarray,
                     values: np.ndarray) -> np.ndarray:
    """R's `wif` times the aggregated values: the influence (units,) of having estimated the
    waves' shares that weigh an aggregation, on the sum scale. With m_ik = 1{G_i = c_k} - p_k,
    wif = m / sum(p) - rowsum(m) p' / sum(p)^2; m @ x is looked up per unit's wave."""
    n = len(gt.unit_cohort)
    index = np.where(gt.unit_cohort == NEVER, 0, gt.unit_cohort + 1)
    size = int(max(index.max(), cohorts.max() + 1)) + 1
    by_wave_x = np.bincount(cohorts + 1, values, size)[index]  # sum of x_k with c_k = G_i
    by_wave_1 = np.bincount(cohorts + 1, None, size)[index]
    total = shares.sum()
    member_x = by_wave_x - shares @ values
    member_1 = by_wave_1 - total
    return (member_x / total - member_1 * (shares @ values) / total**2) / n


def _combine(gt: GroupTime, keep: np.ndarray, with_shares: bool = True) -> Aggregate:
    """Share-weighted average of the ATT(g,t) selected by `keep` (bool over K)."""
    shares = gt.share[keep]
    weights = shares / shares.sum()
    influence = weights @ gt.rows[keep]
    if with_shares:
        influence += _share_influence(gt, gt.cohort[keep], shares, gt.att[keep])
    return Aggregate(float(gt.att[keep] @ weights), influence)


def _mean_of(parts: list[Aggregate]) -> Aggregate:
    return Aggregate(float(np.mean([p.estimate for p in parts])),
                     np.mean([p.influence for p in parts], axis=0))


@dataclass(frozen=True)
class Aggregations:
    simple: Aggregate
    group: Aggregate  # the headline: each wave's average post effect, weighted by wave size
    by_wave: dict[int, Aggregate]
    dynamic: dict[int, Aggregate]  # event time e = t - g (negative: before the rollout)
    dynamic_overall: Aggregate
    calendar: dict[int, Aggregate]
    calendar_overall: Aggregate


def aggregate(gt: GroupTime) -> Aggregations:
    """R `did`'s aggte: simple, group, dynamic and calendar aggregations with influences."""
    post = gt.post
    if not post.any():
        raise ValueError("no wave has a period after its rollout")
    simple = _combine(gt, post)
    waves = np.unique(gt.cohort[post])
    by_wave = {int(g): _combine(gt, post & (gt.cohort == g), with_shares=False) for g in waves}
    shares = np.array([np.mean(gt.unit_cohort == g) for g in waves])
    weights = shares / shares.sum()
    estimates = np.array([by_wave[int(g)].estimate for g in waves])
    influence = weights @ np.array([by_wave[int(g)].influence for g in waves])
    influence += _share_influence(gt, waves, shares, estimates)
    group = Aggregate(float(estimates @ weights), influence)
    event = gt.period - gt.cohort
    dynamic = {int(e): _combine(gt, event == e) for e in np.unique(event)}
    dynamic_overall = _mean_of([a for e, a in dynamic.items() if e >= 0])
    calendar = {int(t): _combine(gt, post & (gt.period == t)) for t in np.unique(gt.period[post])}
    return Aggregations(simple, group, by_wave, dynamic, dynamic_overall, calendar,
                        _mean_of(list(calendar.values())))


def group_inference(gt: GroupTime, group: Aggregate, W: np.ndarray) -> tuple[Aggregate, float]:
    """The headline (group aggregation) as its intervals use it: its influence with each
    side's n - 1 correction, and Bell-McCaffrey (Satterthwaite) df (Imbens & Kolesar 2016).

    R's influence function estimates each mean's variance with n, not n - 1, in the
    denominator: with 5 never-treated units as the last wave's only comparison that
    understates the variance by a fifth, and (units - 1) df take the comparison's few for many.
    Here each ATT(g,t)'s wave side is scaled by sqrt(n / (n - 1)) and its comparison side
    likewise (n the units on that side; the term for the estimated wave shares stays R's), and
    the df are those of CR2 in the regression of the outcomes on type x period, a unit's type
    being its wave (or never treated), under the working model of independent cells with
    variance 1 / w:

        df = (sum_s v_s)^2 / sum_s v_s^2 / (n_s - 1),    v_s = sum_{i in s} sum_t a_it^2 / w_it,

    a_it unit i's weight on Y_it in the headline, n_s the type's units (a type of one unit
    adds nothing: its variance cannot be estimated). For a difference of two means this is
    Imbens & Kolesar's K_BM of the HC2 (Welch) test, which depends on the design only."""
    post = gt.post
    waves = np.unique(gt.cohort[post])
    shares = np.array([np.mean(gt.unit_cohort == g) for g in waves])
    omega = np.zeros(len(gt.att))  # the headline's weight on each ATT(g,t)
    for g, share in zip(waves, shares / shares.sum()):
        rows = post & (gt.cohort == g)
        omega[rows] = share / rows.sum()
    influence = group.influence - omega @ gt.rows  # the term for the estimated shares
    for k in np.flatnonzero(omega):
        in_wave = gt.unit_cohort == gt.cohort[k]
        n_wave, n_comparison = gt.treated[k], gt.compared[k]
        correction = np.where(in_wave, n_wave / max(n_wave - 1, 1),
                              n_comparison / max(n_comparison - 1, 1))
        influence += omega[k] * gt.rows[k] * np.sqrt(correction)
    steps = np.zeros((len(gt.att), W.shape[1]))
    steps[np.arange(len(gt.att)), gt.period] += 1.0
    steps[np.arange(len(gt.att)), gt.base] -= 1.0
    a = (gt.weights * omega[:, None]).T @ steps  # (units, periods)
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = np.where(W > 0, a * a / W, 0.0) @ np.ones(W.shape[1])
    _, kind = np.unique(gt.unit_cohort, return_inverse=True)
    v = np.bincount(kind, variance)
    n = np.bincount(kind, (variance > 0).astype(float))
    used = n > 1
    denominator = np.sum(v[used] ** 2 / (n[used] - 1))
    df = float(v[used].sum() ** 2 / denominator) if denominator > 0 else float("nan")
    return Aggregate(group.estimate, influence), df


def simultaneous_critical(influences: np.ndarray, alpha: float, draws: int, seed: int) -> float:
    """Critical value of a simultaneous band over several estimates (columns of `influences`,
    units x estimates) by the multiplier bootstrap: Rademacher weights per unit, the maximum of
    |bootstrap t| across estimates, its 1 - alpha quantile."""
    se = np.sqrt(np.einsum("ij,ij->j", influences, influences))
    usable = se > 0
    if not usable.any():
        return float("nan")
    rng = np.random.default_rng(seed)
    scaled = influences[:, usable] / se[usable]
    largest = np.empty(draws)
    for start in range(0, draws, 256):
        size = min(256, draws - start)
        signs = rng.choice(np.array([-1.0, 1.0]), size=(size, len(scaled)))
        largest[start:start + size] = np.abs(signs @ scaled).max(axis=1)
    return float(np.quantile(largest, 1 - alpha))


def pre_trend_test(gt: GroupTime, dynamic: dict[int, Aggregate], clusters: int,
                   base_period: str = "varying"):
    """Are the pre-rollout ATT(g,t) jointly zero?

    Joint Wald test of every pre-rollout ATT(g,t) with their influence covariance, as an F test
    with `clusters` (the smaller group's units) in the denominator (Hotelling's correction), when
    there are at most half as many restrictions as those units; otherwise (where the joint test
    has next to no power) a 1-df test of the pre-rollout trend (`pre_trend`). Returns (test, statistic, df, p, trend,
    trend_p, trend_se) with None where not available.
    """
    pre = ~gt.post
    q = int(pre.sum())
    psi = corrected_rows(gt, pre)
    trend, trend_p, trend_se = pre_trend(gt, dynamic, psi, clusters, base_period)
    if q == 0:
        return None, None, None, None, trend, trend_p, trend_se
    V = psi @ psi.T
    theta = gt.att[pre]
    if 2 * q <= clusters - 1:  # enough units for the covariance of every restriction
        try:
            wald = float(theta @ np.linalg.solve(V, theta))
        except np.linalg.LinAlgError:
            wald = None
        if wald is not None and np.isfinite(wald):
            df2 = clusters - q
            F = wald / q * df2 / (clusters - 1)
            return "joint", F, (float(q), float(df2)), float(stats.f.sf(F, q, df2)), trend, trend_p, trend_se
    if trend_p is None:
        return None, None, None, None, trend, None, trend_se
    return "linear_trend", None, (1.0, float(clusters - 1)), trend_p, trend, trend_p, trend_se


def corrected_rows(gt: GroupTime, keep: np.ndarray) -> np.ndarray:
    """The influence rows `keep` with each side's small-sample correction: R's influence
    function estimates a mean's variance with n, not n - 1, in the denominator, which with a
    wave of 2 units halves it. The reported SEs stay R's (they are published and compared);
    the pre-trend check, ours alone, uses these."""
    rows = gt.rows[keep].copy()
    for k, (g, n_wave, n_comparison) in enumerate(zip(gt.cohort[keep], gt.treated[keep],
                                                     gt.compared[keep])):
        in_wave = gt.unit_cohort == g
        rows[k, in_wave] *= np.sqrt(n_wave / (n_wave - 1)) if n_wave > 1 else np.nan
        rows[k, ~in_wave] *= np.sqrt(n_comparison / (n_comparison - 1)) if n_comparison > 1 \
            else np.nan
    return rows


def pre_trend(gt: GroupTime, dynamic: dict[int, Aggregate], rows: np.ndarray, clusters: int,
              base_period: str = "varying"):
    """The waves' drift against their comparison before the rollout, per period, with its
    p-value (t with clusters - 1 df) and SE (from the corrected influence `rows` of the
    pre-rollout ATT(g,t)). With a varying base each pre-rollout effect is already a one-period
    change, so the drift is their mean; with a universal base they are levels against the last
    period before the rollout (0 there), so it is their slope."""
    times = sorted(e for e in dynamic if e < 0)
    if clusters < 3 or not times:
        return None, None, None
    if base_period == "varying":
        weights = np.full(len(times), 1 / len(times))
        points = times
    else:
        points = times + ([-1] if -1 not in times else [])
        if len(points) < 2:
            return None, None, None
        centred = np.array(points, dtype=float) - np.mean(points)
        weights = (centred / (centred @ centred))[:len(times)]  # the reference point adds 0
    slope = float(sum(w * dynamic[e].estimate for w, e in zip(weights, times)))
    pre = ~gt.post
    event, shares = (gt.period - gt.cohort)[pre], gt.share[pre]
    combination = np.zeros(len(event))  # the slope as a combination of the pre ATT(g,t)
    for w, e in zip(weights, times):
        at = event == e
        combination[at] += w * shares[at] / shares[at].sum()
    influence = combination @ rows
    se = float(np.sqrt(influence @ influence))
    if not se > 0:
        return slope, None, None
    df = min(clusters - 1, welch_df(influence, gt.unit_cohort))
    p = float(2 * stats.t.sf(abs(slope / se), df))
    return slope, p, se


def welch_df(influence: np.ndarray, unit_cohort: np.ndarray) -> float:
    """Welch-Satterthwaite degrees of freedom of a variance summed over groups of units (each
    wave, the never treated): sum(v)^2 / sum(v_s^2 / (n_s - 1)). Three waves of 2 units give
    about 3, however many comparison units there are."""
    _, group = np.unique(unit_cohort, return_inverse=True)
    parts = np.bincount(group, influence**2)
    sizes = np.bincount(group, (influence != 0).astype(float))
    used = sizes > 1
    denominator = np.sum(parts[used] ** 2 / (sizes[used] - 1))
    return float(parts.sum() ** 2 / denominator) if denominator > 0 else float("nan")
