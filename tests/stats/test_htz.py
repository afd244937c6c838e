"""The CR2 joint test (HTZ) against clubSandwich's own formulas, re-implemented literally here.

`_club_sandwich` follows R clubSandwich's code path for `Wald_test(lm_fit, constraints,
vcov = "CR2", test = "HTZ")` line by line (vcov_CR, CR2, get_GH, get_P_array(all_terms = TRUE),
total_variance_mat, Hotelling_Tsq; and coef_test's Satterthwaite_df for one coefficient): every
unit and period dummy in the design, one cluster at a time, matrix by matrix. It is slow and
independent of `stats.htz`, which absorbs the unit effects and never builds a matrix over rows.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from tests.simulate import SIM_KPI, ar1_panel
from valueproof.data import Panel
from valueproof.stats import did, event_study, htz, twfe


def _matrix_power(x: np.ndarray, p: float, tol: float = -12) -> np.ndarray:
    values, vectors = np.linalg.eigh(x)
    powered = np.where(values > 10.0**tol, np.abs(values) ** p, 0.0)
    return vectors @ np.diag(powered) @ vectors.T


def _chol_upper(x: np.ndarray) -> np.ndarray:
    return np.linalg.cholesky(x).T  # R's chol(): upper triangular, x = R'R


def _club_sandwich(X: np.ndarray, y: np.ndarray, w: np.ndarray | None, cluster: np.ndarray,
                   C: np.ndarray) -> dict:
    """clubSandwich on lm(y ~ 0 + X, weights = w) with vcovCR(type = "CR2", inverse_var =
    TRUE): Wald_test(test = "HTZ") of C b = 0, and the Satterthwaite df of each C row when C
    has one row."""
    N, p = X.shape
    levels = list(dict.fromkeys(cluster.tolist()))
    index = [np.flatnonzero(cluster == c) for c in levels]
    # weightMatrix.default: weights scaled to mean 1
    weights = np.ones(N) if w is None else w
    w_scale = 1.0 if w is None else float(np.mean(w))
    W_list = [np.diag(weights[i] / w_scale) for i in index]
    X_list = [X[i] for i in index]
    # vcov_CR: inverse_var -> Theta_j = W_j^-1
    Theta_list = [np.linalg.inv(Wj) for Wj in W_list]
    XW_list = [Xj.T @ Wj for Xj, Wj in zip(X_list, W_list)]
    U_list, UW_list = X_list, XW_list  # augmented_model_matrix.default is NULL
    M_U = _matrix_power(sum(uw @ u for uw, u in zip(UW_list, U_list)), -1)
    # CR2(M_U, U_list, UW_list, Theta_list, inverse_var = TRUE)
    adjustments = []
    for u, uw, theta in zip(U_list, UW_list, Theta_list):
        theta_chol = _chol_upper(theta)
        IH = np.eye(len(u)) - u @ M_U @ uw
        G = theta_chol @ IH @ theta @ theta_chol.T
        adjustments.append(theta_chol.T @ _matrix_power(G, -0.5) @ theta_chol)
    E_list = [e @ a for e, a in zip(XW_list, adjustments)]  # adjust_est_mats, CR2
    # the fit and its residuals (residuals_CS: y - X b, unweighted)
    XWX = X.T @ (weights[:, None] * X)
    beta = np.linalg.solve(XWX, X.T @ (weights * y))
    resid = y - X @ beta
    components = np.column_stack([E @ resid[i] for E, i in zip(E_list, index)])
    v_scale = N  # sum(summary(obj)$df[1:2])
    meat = components @ components.T * w_scale**2 / v_scale
    bread = np.linalg.inv(XWX) * N  # sandwich::bread.lm
    vcov = bread @ meat @ bread / v_scale
    # get_GH (inverse_var, no augmented matrix)
    M = bread / v_scale
    M_U = w_scale * M
    M_U_ct = _chol_upper(M_U).T
    ME_list = [M @ E for E in E_list]
    G_list = [me @ _chol_upper(theta).T for me, theta in zip(ME_list, Theta_list)]
    H_array = np.stack([me @ u @ M_U_ct for me, u in zip(ME_list, U_list)], axis=2)  # p, u, J
    # Wald_testing
    q, J = C.shape[0], len(levels)
    G_list = [C @ g for g in G_list]
    H = np.einsum("ip,puj->iuj", C, H_array)
    P_array = np.zeros((q, q, J, J))  # get_P_array(all_terms = TRUE)
    for i in range(q):
        for j in range(i, q):
            tmp = -(H[i].T @ H[j])  # crossprod(H[i,,], H[j,,])
            tmp[np.diag_indices(J)] += [float(g[i] @ g[j]) for g in G_list]
            P_array[i, j] = tmp
            if j > i:
                P_array[j, i] = tmp.T
    Omega = np.array([[np.trace(P_array[i, j]) for j in range(q)] for i in range(q)])
    Omega_nsqrt = _matrix_power(Omega, -0.5)
    inverse_vcov = np.linalg.inv(C @ vcov @ C.T)
    C_beta = C @ beta
    Q = float(C_beta @ inverse_vcov @ C_beta)
    # total_variance_mat
    B = np.zeros_like(P_array)
    for k in range(J):
        for m in range(J):
            B[:, :, k, m] = Omega_nsqrt @ P_array[:, :, k, m] @ Omega_nsqrt
    var_mat = np.zeros((q, q))
    for s in range(q):
        for t in range(s + 1):
            var_mat[s, t] = var_mat[t, s] = (np.sum(B[s, t] * B[t, s]) + np.sum(B[s, s] * B[t, t]))
    nu = q * (q + 1) / var_mat.sum()
    # Hotelling_Tsq
    delta = max((nu - q + 1) / nu, 0.0)
    df = nu - q + 1
    F = delta * Q / q
    out = {"beta": C_beta, "vcov": C @ vcov @ C.T, "Q": Q, "nu": nu, "F": F, "df": df,
           "p": float(stats.f.sf(F, q, df)) if df > 0 else float("nan")}
    if q == 1:  # coef_test: get_P_array(all_terms = FALSE), Satterthwaite_df
        P = P_array[0, 0]
        out["satterthwaite"] = 2 * np.trace(P) ** 2 / (2 * np.sum(P**2))
    return out


def _event_design(panel: Panel, unit_effects: bool = True) -> tuple[np.ndarray, np.ndarray, int]:
    """The event study's full design on the cells (one row per unit-period): unit dummies (or
    group dummies), period dummies 2.., treated x period for every period but the last pre one."""
    units, periods = np.unique(panel.unit), np.unique(panel.period)
    n_pre = sum(not panel.post[panel.period == t][0] for t in periods)
    ref = n_pre - 1
    fixed = ((panel.unit[:, None] == units[None, :]) if unit_effects else
             np.column_stack([~panel.treated, panel.treated])).astype(float)
    dummies = (panel.period[:, None] == periods[None, 1:]).astype(float)
    slopes = np.column_stack([(panel.treated & (panel.period == t)).astype(float)
                              for i, t in enumerate(periods) if i != ref])
    return np.column_stack([fixed, dummies, slopes]), slopes, n_pre


def _panel(seed: int, n_units: int, n_treated: int, n_periods: int, n_pre: int,
           weights: str) -> Panel:
    rng = np.random.default_rng(seed)
    full = ar1_panel(rng, n_units=n_units, n_periods=n_periods, n_pre=n_pre, rho=0.5,
                     treated_share=n_treated / n_units)
    if weights == "per_unit":  # a rate's denominators: tenfold apart across units
        counts = np.repeat(rng.integers(10, 101, n_units), n_periods)
    else:  # varying cell by cell
        counts = rng.integers(1, 30, len(full.unit))
    full.counts["y"] = counts
    return full


def _ours(panel: Panel, unit_effects: bool = True) -> tuple[htz.JointTest, twfe.TwfeFit,
                                                            htz.Contrasts, list[int]]:
    data = did.KPIData(panel, SIM_KPI, True, unit_effects=unit_effects)
    cells, post = data.cells()
    T = len(post)
    ref = int(np.flatnonzero(~post)[-1])
    others = [p for p in range(T) if p != ref]
    sets = np.eye(T)[:, others]
    fit = twfe.fit(cells, sets, "cluster")
    pre_others = [i for i, p in enumerate(others) if not post[p]]
    contrasts = htz.cr2_contrasts(cells, sets, fit, np.eye(len(others))[pre_others])
    return htz.htz(contrasts), fit, contrasts, pre_others


@pytest.mark.parametrize("n_units, n_treated, n_periods, n_pre, weights", [
    (14, 4, 7, 4, "per_unit"),  # weights constant within units: clubSandwich's weighted lm
    (18, 6, 6, 3, "per_unit"),
    (12, 5, 6, 4, "per_cell"),  # weights varying within units: the weighted space's OLS
])
def test_htz_matches_club_sandwich_formulas_on_a_panel(n_units, n_treated, n_periods, n_pre,
                                                       weights):
    panel = _panel(n_units, n_units, n_treated, n_periods, n_pre, weights)
    ours, fit, _, pre_others = _ours(panel)
    X, slopes, _ = _event_design(panel)
    w = panel.counts["y"].astype(float)
    C = np.zeros((len(pre_others), X.shape[1]))
    C[np.arange(len(pre_others)), X.shape[1] - slopes.shape[1] + np.array(pre_others)] = 1.0
    if weights == "per_unit":
        reference = _club_sandwich(X, panel.values["y"], w, panel.unit, C)
    else:
        # CR2 in the weighted space (stats.cr2's working model W^-1): clubSandwich on the OLS of
        # sqrt(w) y on sqrt(w) X; with weights constant within units it is the weighted lm above
        root = np.sqrt(w)
        reference = _club_sandwich(X * root[:, None], panel.values["y"] * root, None,
                                   panel.unit, C)
    assert np.allclose(ours.cov, reference["vcov"], rtol=1e-8, atol=0)
    assert ours.wald == pytest.approx(reference["Q"], rel=1e-8)
    assert ours.nu == pytest.approx(reference["nu"], rel=1e-8)
    assert ours.statistic == pytest.approx(reference["F"], rel=1e-8)
    assert ours.df == pytest.approx((len(pre_others), reference["df"]), rel=1e-8)
    assert ours.p_value == pytest.approx(reference["p"], rel=1e-7)
    assert ours.nu < n_units - 1  # far fewer degrees of freedom than clusters


def test_htz_matches_club_sandwich_formulas_on_a_repeated_cross_section():
    rng = np.random.default_rng(8)
    full = _panel(3, 16, 6, 6, 3, "per_cell")
    keep = rng.random(len(full.unit)) > 0.4  # units seen in some periods only
    panel = Panel(full.unit[keep], full.unit_names, full.treated[keep], full.post[keep],
                  full.period[keep], {"y": full.values["y"][keep]},
                  {"y": full.counts["y"][keep]})
    ours, _, _, pre_others = _ours(panel, unit_effects=False)
    X, slopes, _ = _event_design(panel, unit_effects=False)
    w = panel.counts["y"].astype(float)
    C = np.zeros((len(pre_others), X.shape[1]))
    C[np.arange(len(pre_others)), X.shape[1] - slopes.shape[1] + np.array(pre_others)] = 1.0
    root = np.sqrt(w)
    reference = _club_sandwich(X * root[:, None], panel.values["y"] * root, None, panel.unit, C)
    assert ours.wald == pytest.approx(reference["Q"], rel=1e-8)
    assert ours.nu == pytest.approx(reference["nu"], rel=1e-8)
    assert ours.p_value == pytest.approx(reference["p"], rel=1e-7)


def test_one_restriction_is_the_cr2_t_test_with_bell_mccaffrey_df():
    """q = 1: HTZ's F(1, nu) is t² of the CR2 t-test with Satterthwaite df, for the headline
    (against stats.cr2) and for one event-study coefficient (against the literal formulas)."""
    panel = _panel(5, 30, 6, 8, 4, "per_cell")
    data = did.KPIData(panel, SIM_KPI, True)
    cells, post = data.cells()
    sets = post.astype(float)[:, None]
    fit = twfe.fit(cells, sets, "cluster")
    test = htz.htz(htz.cr2_contrasts(cells, sets, fit, np.array([[1.0]])))
    estimate = did.main_estimate(data, "cluster")
    assert test.statistic == pytest.approx((estimate.effect / estimate.se) ** 2, rel=1e-9)
    assert test.df == pytest.approx((1.0, estimate.df), rel=1e-9)
    assert test.p_value == pytest.approx(
        2 * stats.t.sf(abs(estimate.effect / estimate.se), estimate.df), rel=1e-8)

    _, _, contrasts, pre_others = _ours(panel)
    X, slopes, _ = _event_design(panel)
    root = np.sqrt(panel.counts["y"].astype(float))
    C = np.zeros((1, X.shape[1]))
    C[0, X.shape[1] - slopes.shape[1] + pre_others[1]] = 1.0
    reference = _club_sandwich(X * root[:, None], panel.values["y"] * root, None, panel.unit, C)
    one = htz.htz(contrasts, np.eye(len(pre_others))[[1]])
    assert one.nu == pytest.approx(reference["satterthwaite"], rel=1e-8)
    assert one.statistic == pytest.approx(reference["beta"][0] ** 2 / reference["vcov"][0, 0],
                                          rel=1e-8)


def test_htz_does_not_depend_on_how_the_restrictions_are_written():
    """Equal pre-period gaps, written as 'each gap = the last one' or as successive
    differences: the same hypothesis, the same test."""
    panel = _panel(6, 24, 8, 8, 5, "per_cell")
    first, _, contrasts, pre_others = _ours(panel)
    q = len(pre_others)
    differences = np.eye(q) - np.eye(q, k=1)  # b1 - b2, b2 - b3, ..., b_q
    second = htz.htz(contrasts, differences)
    assert second.nu == pytest.approx(first.nu, rel=1e-9)
    assert second.statistic == pytest.approx(first.statistic, rel=1e-9)


def test_series_and_exact_adjustments_give_the_same_test(monkeypatch):
    from valueproof.stats import cr2

    panel = _panel(7, 400, 20, 10, 5, "per_cell")
    series = _ours(panel)[0]
    monkeypatch.setattr(cr2, "LEVERAGE_EXACT", -1.0)
    monkeypatch.setattr(htz, "LEVERAGE_EXACT", -1.0)
    exact = _ours(panel)[0]
    assert series.nu == pytest.approx(exact.nu, rel=1e-8)
    assert series.p_value == pytest.approx(exact.p_value, rel=1e-7)


def _profiles_by_dummies(W: np.ndarray, WY: np.ndarray, rounds: int = 3) -> np.ndarray:
    """The randomization test's standardized profiles, written out: weighted least squares on
    unit and period dummies (lstsq), cell by cell, the weights divided by each unit's
    variance, re-estimated `rounds` times from equal scales."""
    G, p = W.shape
    units, periods = np.nonzero(W)
    X = np.column_stack([np.eye(G)[units], np.eye(p)[periods][:, 1:]])
    y = WY[units, periods] / W[units, periods]
    scale = np.ones(G)
    for _ in range(rounds):
        w = W[units, periods] / scale[units] ** 2
        beta = np.linalg.lstsq(X * np.sqrt(w)[:, None], y * np.sqrt(w), rcond=None)[0]
        e = y - X @ beta
        for k in range(G):
            rows = units == k
            relative = W[k, periods[rows]] / W[k, periods[rows]].mean()
            scale[k] = np.sqrt(np.sum(relative * e[rows] ** 2) / (rows.sum() - 1))
    profiles = np.zeros((G, p))
    profiles[units, periods] = e / scale[units]
    return profiles


def test_randomization_profiles_and_statistic_written_out():
    from valueproof.stats import pre_permutation

    rng = np.random.default_rng(21)
    W = rng.integers(1, 40, (15, 5)).astype(float)
    W[rng.random((15, 5)) < 0.15] = 0.0  # some cells missing
    WY = W * (rng.normal(size=(15, 5)) * rng.uniform(0.5, 3, 15)[:, None])
    profiles, keep = pre_permutation.standardized_profiles(W, WY)
    assert keep.all()
    assert np.allclose(profiles, _profiles_by_dummies(W, WY), rtol=1e-9, atol=1e-12)
    # the statistic: the spread across periods of the gap between the groups' mean profiles;
    # an enumerated test's p-value is the share of assignments at least as extreme
    present = W > 0
    small = np.arange(15) < 2  # 105 assignments of 2 among 15
    p_value, smallest = pre_permutation.randomization_pre_test(W, WY, small, 2000, 0)
    assert smallest == pytest.approx(1 / 105)
    import itertools

    def statistic(flags):  # a period without cells in a group adds nothing
        g = np.array([profiles[flags & present[:, t], t].mean()
                      - profiles[~flags & present[:, t], t].mean()
                      if (flags & present[:, t]).any() else np.nan for t in range(5)])
        return np.nansum((g - np.nanmean(g)) ** 2)

    observed = statistic(small)
    values = [statistic(np.isin(np.arange(15), pair))
              for pair in itertools.combinations(range(15), 2)]
    assert p_value == pytest.approx(np.mean(np.array(values) >= observed - 1e-12))


def test_randomization_test_has_exact_level_when_it_enumerates():
    """Every assignment of 4 units among 9 taken in turn as the observed one: a p-value at or
    below k / 126 comes up for exactly k of the 126 assignments (no ties)."""
    import itertools

    from valueproof.stats.pre_permutation import randomization_pre_test

    rng = np.random.default_rng(22)
    W = rng.integers(1, 10, (9, 4)).astype(float)
    WY = W * rng.normal(size=(9, 4))
    p_values = []
    for chosen in itertools.combinations(range(9), 4):
        treated = np.isin(np.arange(9), chosen)
        p, smallest = randomization_pre_test(W, WY, treated, 2000, 0)
        p_values.append(p)
        assert smallest == pytest.approx(1 / 126)
    counts = np.array([np.sum(np.array(p_values) <= k / 126 + 1e-12) for k in range(1, 127)])
    assert np.array_equal(counts, np.arange(1, 127))


@pytest.mark.parametrize("n_treated, n_control, n_pre, se, method", [
    (6, 30, 6, "cluster", "permutation"),  # HTZ has 3 df here: conservative to uselessness
    (30, 30, 6, "cluster", "HTZ"),
    (6, 30, 2, "cluster", "HTZ"),  # one restriction: the CR2 t-test with Bell-McCaffrey df
    (6, 30, 6, "cr1", "Hotelling"),
    (3, 30, 6, "cr1", "permutation"),
])
def test_pre_trend_check_names_the_test_that_decided(n_treated, n_control, n_pre, se, method):
    rng = np.random.default_rng(23)
    panel = ar1_panel(rng, n_units=n_treated + n_control, n_periods=2 * n_pre, n_pre=n_pre,
                      treated_share=n_treated / (n_treated + n_control))
    check = event_study.event_study(did.KPIData(panel, SIM_KPI, True), se, 0.05)[0]
    assert check.method == method
    assert check.test == ("randomization" if method == "permutation" else "joint")
    assert 0 < check.p_value <= 1 and check.status in ("detected", "not_detected")
    if method == "HTZ":
        assert check.df[0] == n_pre - 1 and check.df[1] >= (1 if n_pre == 2 else
                                                           event_study.HTZ_MIN_DF)
    assert check.detectable_trend is None if n_pre < 3 else check.detectable_trend > 0


def test_batches_of_units_give_the_same_test(monkeypatch):
    """Memory stays bounded: the vectors come in batches of units; any batch size, one
    answer."""
    panel = _panel(9, 60, 12, 8, 4, "per_cell")
    whole = _ours(panel)[0]
    monkeypatch.setattr(htz, "BUDGET", 3 * 8 * 7)  # 7 units per batch
    batched, _, contrasts, _ = _ours(panel)
    assert len(contrasts.batches) == 9
    assert batched.nu == pytest.approx(whole.nu, rel=1e-10)
    assert batched.wald == pytest.approx(whole.wald, rel=1e-10)


def test_one_pilot_unit_is_not_tested_even_with_one_restriction():
    """Two pre periods, one pilot unit against 19: its own ups and downs would be read as a
    trend (its residuals are zero, so its noise is not in the CR2 covariance)."""
    rng = np.random.default_rng(24)
    panel = ar1_panel(rng, n_units=20, n_periods=4, n_pre=2, treated_share=0.05)
    check = event_study.event_study(did.KPIData(panel, SIM_KPI, True), "cluster", 0.05)[0]
    assert check.status == "not_testable"


def test_large_groups_take_hotelling_on_cr1_which_agrees_with_htz(monkeypatch):
    """With HTZ_LARGE_GROUP units a group or more the joint test is Hotelling's on the CR1
    covariance (HTZ costs seconds a KPI at 50,000 units); there the two agree closely."""
    rng = np.random.default_rng(5)
    panel = ar1_panel(rng, n_units=1200, n_periods=10, n_pre=5, treated_share=0.5)
    data = did.KPIData(panel, SIM_KPI, True)
    monkeypatch.setattr(event_study, "HTZ_LARGE_GROUP", 600)
    large = event_study.event_study(data, "cluster", 0.05)[0]
    monkeypatch.setattr(event_study, "HTZ_LARGE_GROUP", 601)
    small = event_study.event_study(data, "cluster", 0.05)[0]
    assert (large.method, small.method) == ("Hotelling", "HTZ")
    assert large.df == (4, 1196) and large.test == "joint"
    assert large.p_value == pytest.approx(small.p_value, abs=2e-3)
    assert large.trend == pytest.approx(small.trend, rel=1e-9)
