"""Event study, trend chart and the pre-trend check of one KPI (the headline model with one
treated x period term per period)."""

from __future__ import annotations

import numpy as np
from scipy import stats

from valueproof.stats import htz, twfe
from valueproof.stats.did import KPIData, power_mde, t_critical
from valueproof.stats.pre_permutation import randomization_pre_test
from valueproof.stats.results import EventPoint, PreTrend, TrendPoint

# HTZ decides with at least this many denominator df (nu - q + 1): measured false detections
# 0% at 3 df (6 treated units against 30), about 1% at 6, 1.5-3.5% at 12, 4-7% at 19-23
HTZ_MIN_DF = 15
# With at least this many units in each group HTZ's small-sample corrections (CR2's leverage
# adjustment and the approximating Wishart's df) hardly move the joint test's p-value (HTZ
# against Hotelling on CR1, 12 restrictions: up to 0.004 apart at 100 units a group, 0.0008 at
# 500, 0.0002 at 2,000) while costing seconds a KPI at 50,000 units: there the joint test is
# Hotelling's on the CR1 covariance, as with `se: cr1`.
HTZ_LARGE_GROUP = 1000


def trend_points(data: KPIData, alpha: float) -> list[TrendPoint]:
    """Per period and group: the weighted mean with a 95% band (clustered by unit), for the
    trend chart. The period split at the rollout appears twice (its pre and post part), marked."""
    groups = [("treatment", True)] + ([("control", False)] if data.has_control else [])
    level = np.exp if data.kpi.transform == "log" else (lambda v: v)
    columns = {}
    # per group and period: sums of w, w*y and of the squared units' deviations
    # sum_g (WY - W mu)^2 = sum WY^2 - 2 mu sum W WY + mu^2 sum W^2, as matrix-vector products
    products = (data.W, data.WY, data.WY * data.WY, data.W * data.WY, data.W * data.W)
    for name, flag in groups:
        member = (data.unit_treated == flag).astype(float)
        G = int(member.sum())
        totals, weighted, yy, wy, ww = (member @ matrix for matrix in products)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = weighted / totals
            squares = np.maximum(yy - 2 * means * wy + means**2 * ww, 0.0)
            se = np.sqrt(squares * (G / (G - 1) if G > 1 else np.nan)) / totals
        half = t_critical(alpha, G - 1) * se
        columns[name] = [(float(level(mu)), _float(level(mu - h)), _float(level(mu + h)))
                         if total > 0 else (None, None, None)
                         for mu, h, total in zip(means, half, totals)]
    points = []
    for e in range(len(data.event_period)):
        treatment = columns["treatment"][e]
        control = columns["control"][e] if data.has_control else (None, None, None)
        if treatment[0] is None and control[0] is None:
            continue
        points.append(TrendPoint(str(data.event_period[e]), bool(data.event_post[e]), *treatment,
                                 *control, partial=bool(data.event_partial[e])))
    return points


def _float(value) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def event_study(data: KPIData, se: str, alpha: float, permutations: int = 2000,
                seed: int = 20240601) -> tuple[PreTrend, list[EventPoint], list[TrendPoint]]:
    """Treated - control gap per period relative to the average pre-rollout gap, the joint test
    that the pre-rollout gaps are equal, and the trend chart's group means.

    The model is the headline's with one treated x period term per period (reference: the last
    pre period, then every coefficient is re-centred on the mean of the pre periods). In a
    balanced panel with equal weights the mean post coefficient is the headline effect.
    """
    trend = trend_points(data, alpha)
    if not data.has_control:
        return PreTrend("not_testable", None, None, None, 0), [], trend
    cells, post = data.cells()
    labels = [str(v) for v in data.event_period[data.estimation]]
    T = len(post)
    pre = np.flatnonzero(~post)
    if len(pre) == 0 or len(cells.fe) < 2:
        return PreTrend("not_testable", None, None, None, 0), [], trend
    ref = int(pre[-1])
    others = [p for p in range(T) if p != ref]
    fit = twfe.fit(cells, np.eye(T)[:, others], se)
    if fit is None:
        return PreTrend("not_testable", None, None, None, 0), [], trend
    coef = np.zeros(T)
    coef[others] = fit.coef
    cov = np.zeros((T, T))
    cov[np.ix_(others, others)] = fit.cov
    centre = np.eye(T)
    centre[:, pre] -= 1.0 / len(pre)  # row p: b_p - mean(b_pre)
    centred, centred_cov = centre @ coef, centre @ cov @ centre.T
    t = t_critical(alpha, fit.df)
    points = []
    for p in range(T):
        half = t * np.sqrt(max(centred_cov[p, p], 0.0))
        points.append(EventPoint(labels[p], bool(post[p]), float(centred[p]),
                                 float(centred[p] - half), float(centred[p] + half),
                                 reference=False))
    pre_others = [i for i, p in enumerate(others) if p in set(pre)]
    return (pre_trend_check(data, cells, post, fit, np.eye(T)[:, others], pre_others, se, alpha,
                            permutations, seed), points, trend)


def pre_trend_check(data: KPIData, cells: twfe.Cells, post: np.ndarray, fit: twfe.TwfeFit,
                    sets: np.ndarray, pre_others: list[int], se: str, alpha: float,
                    permutations: int = 2000, seed: int = 20240601) -> PreTrend:
    """The pre-trend check's decision rule: the first of these that applies decides.

    1. The model-based joint test of every pre-period gap, where it is right-sized: with
       `cluster` SEs the CR2 covariance and the approximate Hotelling T² test (HTZ,
       `stats.htz`) when it has one restriction (then it is the CR2 t-test with Bell-McCaffrey
       df) or at least HTZ_MIN_DF denominator df - below that HTZ is conservative to the point
       of uselessness in lopsided pilots (no false alarm, and no power, with 6 treated units
       against 30); never with a single unit in a group (its own noise is not in the CR2
       covariance: its residuals are zero). With `cr1`, and with `cluster` when both groups
       have HTZ_LARGE_GROUP units or more, Hotelling's scaling F(q, G - q) of the CR1
       covariance when q <= min(treated, control units) - 1; with `iid`/`hc1` the Wald F.
    2. The same joint hypothesis by randomization (panels; `stats.pre_permutation`), when the
       design can produce a p-value below alpha.
    3. The one-degree-of-freedom test of a linear difference in trends (CR2 with
       Bell-McCaffrey df by default), with at least 2 units per group.

    All report that slope beside, with the difference in trends the check could detect with
    80% power (Roth 2022: a check that detects nothing may just be weak).
    """
    q = len(pre_others)
    smallest = min(data.n_units().values())
    pre = np.flatnonzero(~post)
    large = se == "cluster" and smallest >= HTZ_LARGE_GROUP
    contrasts = (htz.cr2_contrasts(cells, sets, fit, np.eye(len(fit.coef))[pre_others])
                 if se == "cluster" and q >= 1 and not large else None)
    if contrasts is not None:
        joint, trend = cr2_joint_and_trend(contrasts, pre, alpha)
        if (joint is not None and np.isfinite(joint.p_value) and smallest >= 2
                and (q == 1 or joint.df[1] >= HTZ_MIN_DF)):
            return PreTrend("detected" if joint.p_value < alpha else "not_detected",
                            joint.p_value, joint.statistic, joint.df, q, "joint", **trend,
                            method="HTZ")
    elif q >= 1 and (se != "cluster" or large) and (se not in ("cr1", "cluster")
                                                      or q <= smallest - 1):
        statistic, df, p_value = joint_test(fit.coef[pre_others],
                                            fit.cov[np.ix_(pre_others, pre_others)],
                                            fit.n_clusters, fit.df, se)
        if np.isfinite(p_value):
            return PreTrend("detected" if p_value < alpha else "not_detected", p_value,
                            statistic, df, q, "joint", **gap_trend(fit, pre, pre_others, alpha),
                            method="Hotelling" if se in ("cr1", "cluster") else "F")
    if contrasts is None or trend["trend_p"] is None:
        trend = linear_trend(data, cells, post, se, alpha)
    if q >= 1 and data.has_control and data.unit_effects:
        columns = np.flatnonzero(data.estimation)[~post]
        p_value, attainable = randomization_pre_test(data.W[:, columns], data.WY[:, columns],
                                                     data.unit_treated, permutations, seed)
        if attainable < alpha and np.isfinite(p_value):
            return PreTrend("detected" if p_value < alpha else "not_detected", p_value,
                            None, None, q, "randomization", **trend, method="permutation")
    if trend["trend_p"] is not None and smallest >= 2:  # one unit: its own noise is the trend
        return PreTrend("detected" if trend["trend_p"] < alpha else "not_detected",
                        trend["trend_p"], None, None, q, "linear_trend", **trend, method="t")
    return PreTrend("not_testable", None, None, None, q)


def cr2_joint_and_trend(contrasts: htz.Contrasts, pre: np.ndarray,
                        alpha: float) -> tuple[htz.JointTest | None, dict]:
    """The HTZ test of every pre-period gap, and the slope of those gaps over the pre periods
    (least squares on the period index, the last pre period's gap the reference 0) with its
    CR2 SE and Bell-McCaffrey df: the slope is a combination of the joint test's contrasts,
    so one pass over the units serves both."""
    none = {"trend": None, "trend_p": None, "detectable_trend": None}
    if len(pre) < 3:
        return htz.htz(contrasts), none
    centred = pre - pre.mean()
    weights = (centred / (centred @ centred))[:-1]  # the reference (last) has no coefficient
    joint, slope_test = htz.tests(contrasts, [None, weights[None, :]])
    if slope_test is None or not slope_test.nu > 0:
        return joint, none
    slope, error = float(weights @ contrasts.estimates), float(np.sqrt(slope_test.cov[0, 0]))
    return joint, {"trend": slope,
                   "trend_p": float(2 * stats.t.sf(abs(slope / error), slope_test.nu)),
                   "detectable_trend": power_mde(error, slope_test.nu, alpha)}


def gap_trend(fit: twfe.TwfeFit, pre: np.ndarray, pre_others: list[int], alpha: float) -> dict:
    """Slope of the treated - control gaps over the pre periods (least squares on the period
    index, the last pre period's gap being the reference 0), from the event-study fit."""
    none = {"trend": None, "trend_p": None, "detectable_trend": None}
    if len(pre) < 3 or fit.df <= 0:
        return none
    centred = pre - pre.mean()
    weights = (centred / (centred @ centred))[:-1]  # the reference (last) has no coefficient
    slope = float(weights @ fit.coef[pre_others])
    error = float(np.sqrt(weights @ fit.cov[np.ix_(pre_others, pre_others)] @ weights))
    if not np.isfinite(error) or error <= 0:
        return none
    return {"trend": slope, "trend_p": float(2 * stats.t.sf(abs(slope / error), fit.df)),
            "detectable_trend": power_mde(error, fit.df, alpha)}


def linear_trend(data: KPIData, cells: twfe.Cells, post: np.ndarray, se: str,
                 alpha: float) -> dict:
    """Difference between the groups' linear trends over the pre periods: the headline model on
    the pre-rollout cells with treated x (period index, centred) as its one slope."""
    none = {"trend": None, "trend_p": None, "detectable_trend": None}
    pre = np.flatnonzero(~post)
    if len(pre) < 3:  # two periods: the joint test is that comparison already
        return none
    fit = twfe.fit(*pre_trend_design(cells, pre), se)
    if fit is None or fit.df <= 0 or not np.isfinite(fit.cov[0, 0]) or fit.cov[0, 0] <= 0:
        return none
    slope, error = float(fit.coef[0]), float(np.sqrt(fit.cov[0, 0]))
    p_value = float(2 * stats.t.sf(abs(slope / error), fit.df))
    return {"trend": slope, "trend_p": p_value,
            "detectable_trend": power_mde(error, fit.df, alpha)}


def joint_test(values: np.ndarray, cov: np.ndarray, n_clusters: int, df: int,
               se: str) -> tuple[float, tuple[int, int], float]:
    """Joint F test that every value is zero: (F, (df1, df2), p-value).

    With cluster-robust covariance the plain Wald F(q, G-1) over-rejects badly when q is not
    small next to G (about 19% instead of 5% for 16 pre-periods and 60 units in our simulations),
    so we use Hotelling's T-squared scaling, F = W/q * (G-q)/(G-1) on (q, G-q) degrees of
    freedom, which is exact for normal cluster scores; it needs more clusters than restrictions.
    """
    if not np.all(np.isfinite(cov)) or df <= 0:
        return float("nan"), (0, 0), float("nan")
    q = int(np.linalg.matrix_rank(cov))
    if q == 0:
        return float("nan"), (0, 0), float("nan")
    wald = float(values @ np.linalg.pinv(cov) @ values)
    if se in ("cluster", "cr1"):
        if n_clusters - q < 1:
            return float("nan"), (q, 0), float("nan")
        statistic, dfs = wald / q * (n_clusters - q) / (n_clusters - 1), (q, n_clusters - q)
    else:
        statistic, dfs = wald / q, (q, df)
    return statistic, dfs, float(stats.f.sf(statistic, *dfs))


def pre_trend_design(cells: twfe.Cells, pre: np.ndarray) -> tuple[twfe.Cells, np.ndarray]:
    """The cells of the pre-rollout periods `pre` (units with none left out) and the one
    regressor of a linear pre-trend: treated x the period index, centred."""
    W, WY = cells.W[:, pre], cells.WY[:, pre]
    rows = W @ np.ones(len(pre)) > 0
    pre_cells = twfe.Cells(W[rows], WY[rows], np.arange(rows.sum()) if cells.fe_is_cluster
                           else cells.fe[rows], cells.fe_treated[rows] if cells.fe_is_cluster
                           else cells.fe_treated, cells.fe_is_cluster)
    index = np.arange(len(pre), dtype=float)
    return pre_cells, (index - index.mean())[:, None]
