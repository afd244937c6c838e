"""Calibration by simulation: AR(1) panels (Bertrand, Duflo & Mullainathan 2004)."""

from __future__ import annotations

import numpy as np
from scipy import stats

from tests.simulate import SIM_KPI, ar1_panel
from valueproof.stats import did, event_study

SIMULATIONS = 300


def _band(rate: float, n: int, z: float = 3.3) -> tuple[float, float]:
    half = z * np.sqrt(rate * (1 - rate) / n)
    return rate - half, rate + half


def _run(effect: float, se: str, rng) -> tuple[float, float, float]:
    """Rejection rate of the DiD test, 95% CI coverage of `effect`, pre-trend rejection rate."""
    reject = cover = pre_fail = 0
    for _ in range(SIMULATIONS):
        data = did.KPIData(ar1_panel(rng, n_units=40, n_periods=12, n_pre=6, rho=0.8,
                                     effect=effect), SIM_KPI, True)
        fit = did.main_estimate(data, se)
        estimate, error = fit.effect, fit.se
        t = stats.t.ppf(0.975, fit.df)
        reject += abs(estimate / error) > t
        cover += estimate - t * error <= effect <= estimate + t * error
        pre_fail += event_study.event_study(data, se, 0.05)[0].status == "detected"
    return reject / SIMULATIONS, cover / SIMULATIONS, pre_fail / SIMULATIONS


def test_default_cluster_se_is_calibrated_under_serial_correlation():
    rng = np.random.default_rng(2024)
    false_positive, _, pre_trend_false = _run(0.0, "cluster", rng)
    low, high = _band(0.05, SIMULATIONS)
    assert low <= false_positive <= high, false_positive
    assert low <= pre_trend_false <= high, pre_trend_false
    _, coverage, _ = _run(0.5, "cluster", rng)
    low, high = _band(0.95, SIMULATIONS)
    assert low <= coverage <= high, coverage


def test_iid_se_over_rejects_with_serial_correlation():
    """The failure the default avoids: naive SEs reject a true null far too often."""
    false_positive, _, _ = _run(0.0, "iid", np.random.default_rng(7))
    assert false_positive > _band(0.05, SIMULATIONS)[1], false_positive


def test_small_lopsided_design_keeps_both_tests_near_alpha():
    """3 pilot units against 30: CR2 with Bell-McCaffrey df for the effect, and a pre-trend
    check that does not cry wolf (the joint test's restrictions exceed what 3 units identify,
    so the randomization version of the joint test decides)."""
    rng = np.random.default_rng(11)
    runs, reject, detected = 300, 0, 0
    for _ in range(runs):
        data = did.KPIData(ar1_panel(rng, n_units=33, n_periods=12, n_pre=6, rho=0.8,
                                     treated_share=3 / 33), SIM_KPI, True)
        estimate = did.main_estimate(data, "cluster")
        reject += abs(estimate.effect / estimate.se) > stats.t.ppf(0.975, estimate.df)
        pre_trend = event_study.event_study(data, "cluster", 0.05)[0]
        assert pre_trend.test == "randomization"
        detected += pre_trend.status == "detected"
    assert reject / runs <= _band(0.05, runs)[1], reject / runs
    assert detected / runs <= _band(0.05, runs)[1], detected / runs


def test_power_at_the_reported_mde_holds_after_holm_with_four_kpis():
    """The MDE is computed at the alpha the verdict uses (alpha / K): a true effect of that size
    on one of four KPIs is called significant after Holm's correction about 80% of the time."""
    from valueproof.stats import adjust_pvalues

    rng = np.random.default_rng(31)
    panel = lambda effect: ar1_panel(rng, n_units=40, n_periods=12, n_pre=6, rho=0.8,  # noqa: E731
                                     effect=effect)
    mdes = []
    for _ in range(60):
        estimate = did.main_estimate(did.KPIData(panel(0.0), SIM_KPI, True), "cluster")
        mdes.append(did.power_mde(estimate.se, estimate.df, 0.05 / 4))
    mde = float(np.mean(mdes))
    runs, detected = 300, 0
    for _ in range(runs):
        p_values = []
        for effect in (mde, 0.0, 0.0, 0.0):
            estimate = did.main_estimate(did.KPIData(panel(effect), SIM_KPI, True), "cluster")
            p_values.append(2 * stats.t.sf(abs(estimate.effect / estimate.se), estimate.df))
        detected += adjust_pvalues(p_values, "holm")[0] < 0.05
    assert 0.72 <= detected / runs <= 0.88, detected / runs  # measured: 0.82


def test_rollout_in_waves_is_calibrated_with_few_units():
    """Group aggregation of a rollout in waves, 3 waves of 5 units against 15 never treated
    (AR(1) errors): a true null rejected about 5% of the time, 95% intervals cover a true
    effect about 95% of the time, and the pre-trend check does not cry wolf more than alpha."""
    from tests.simulate import staggered_panel
    from valueproof.config.kpis import Analysis
    from valueproof.stats import waves

    rng = np.random.default_rng(2026)
    settings = Analysis()
    reject = cover = pre_fail = 0
    for _ in range(SIMULATIONS):
        null = waves.estimate_kpi(staggered_panel(rng, (5, 5, 5), 15), SIM_KPI, settings, 0.05)
        reject += null["p_value"] < 0.05
        pre_fail += null["pre_trend"].status == "detected"
        real = waves.estimate_kpi(staggered_panel(rng, (5, 5, 5), 15, effect=0.5), SIM_KPI,
                                  settings, 0.05)
        cover += real["ci_low"] <= 0.5 <= real["ci_high"]
    low, high = _band(0.05, SIMULATIONS)
    assert low <= reject / SIMULATIONS <= high, reject
    assert pre_fail / SIMULATIONS <= high, pre_fail
    assert _band(0.95, SIMULATIONS)[0] <= cover / SIMULATIONS, cover


def _pre_trend_runs(make, kpi, runs: int) -> tuple[float, set]:
    detected, tests = 0, set()
    for i in range(runs):
        check = event_study.event_study(did.KPIData(make(), kpi, True), "cluster", 0.05, 2000, i)[0]
        detected += check.status == "detected"
        tests.add(check.method)
    return detected / runs, tests


def test_pre_trend_check_keeps_its_level_in_lopsided_pilots():
    """Parallel trends, 6 weeks before and 6 after: the check's false detections stay near
    alpha where the CR1 test with Hotelling's scaling said `detected` in 32% (6 treated
    against 30) and 14% (20 against 200) of the runs. 6 against 30: HTZ has 3 denominator
    df there, so the randomization test decides; 20 against 200: HTZ."""
    rng = np.random.default_rng(41)
    low, high = _band(0.05, SIMULATIONS)
    for treated, control, rho, method in ((6, 30, 0.8, "permutation"), (20, 200, 0.5, "HTZ")):
        rate, tests = _pre_trend_runs(
            lambda: ar1_panel(rng, treated + control, 12, 6, rho,  # noqa: B023
                              treated_share=treated / (treated + control)), SIM_KPI, SIMULATIONS)
        assert tests == {method}, tests
        assert low <= rate <= high, (treated, control, rate)


def test_pre_trend_check_keeps_its_level_for_a_rate_with_tenfold_denominators():
    """20 against 20, a rate whose denominators differ tenfold across units (CR1 with
    Hotelling's scaling: 8.6%)."""
    from tests.simulate_rate import RATE_KPI, rate_panel

    rng = np.random.default_rng(42)
    rate, tests = _pre_trend_runs(lambda: rate_panel(rng, 20, 20, rho=0.5), RATE_KPI,
                                  SIMULATIONS)
    assert tests == {"HTZ"}, tests
    low, high = _band(0.05, SIMULATIONS)
    assert low <= rate <= high, rate


def test_pre_trend_check_detects_a_real_linear_pre_trend():
    """The same design with the treated units drifting by 0.2 (a fifth of the innovations'
    SD) per period against the others: detected far more often than alpha (benchmark: 38%)."""
    from tests.simulate_rate import with_trend

    rng = np.random.default_rng(43)
    power, _ = _pre_trend_runs(
        lambda: with_trend(ar1_panel(rng, 220, 12, 6, 0.5, treated_share=20 / 220), 0.2, 6),
        SIM_KPI, 150)
    assert power > 0.25, power


def test_rollout_in_waves_not_yet_treated_with_few_never_treated_units():
    """Two waves of 10 units and only 5 never treated, compared with the not yet treated: the
    headline's interval (n - 1 corrected SE, Bell-McCaffrey df) covers a true effect about
    95% of the time (with R's SE and units - 1 df: 92%) and a true null is rejected about 5%."""
    from tests.simulate import staggered_panel
    from valueproof.config.kpis import Analysis
    from valueproof.stats import waves

    rng = np.random.default_rng(2027)
    settings = Analysis(comparison="not_yet_treated")
    reject = cover = 0
    for _ in range(SIMULATIONS):
        null = waves.estimate_kpi(staggered_panel(rng, (10, 10), 5), SIM_KPI, settings, 0.05)
        reject += null["p_value"] < 0.05
        real = waves.estimate_kpi(staggered_panel(rng, (10, 10), 5, effect=0.5), SIM_KPI,
                                  settings, 0.05)
        cover += real["ci_low"] <= 0.5 <= real["ci_high"]
    assert reject / SIMULATIONS <= _band(0.05, SIMULATIONS)[1], reject
    assert cover / SIMULATIONS >= 0.93, cover  # R's SE with units - 1 df: 92%
