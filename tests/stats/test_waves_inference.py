"""The headline of a rollout in waves: its interval's SE (n - 1 corrected influence) and
Bell-McCaffrey degrees of freedom, against the two-sample formulas they reduce to."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from tests.simulate import SIM_KPI, staggered_panel
from valueproof.config.kpis import Analysis
from valueproof.stats import waves


def test_one_wave_and_two_periods_give_welch_se_and_imbens_kolesar_df():
    """One wave, one period before and one after, never-treated comparison: the headline is a
    difference of two means of changes; its SE is the HC2 (Welch) SE and its df the
    Bell-McCaffrey df of Imbens & Kolesar (2016), K = (1/n1 + 1/n0)^2 / (1/(n1^2 (n1 - 1)) +
    1/(n0^2 (n0 - 1))) - not the n0 + n1 - 2 or min(n) - 1 of the textbook tests."""
    rng = np.random.default_rng(3)
    n1, n0 = 6, 14
    panel = staggered_panel(rng, (n1,), n0, n_periods=2, first_wave=1, rho=0.5, effect=0.3)
    fit = waves.estimate_kpi(panel, SIM_KPI, Analysis(), 0.05)
    y = panel.values["y"].reshape(n1 + n0, 2)
    change = y[:, 1] - y[:, 0]
    treated, control = change[:n1], change[n1:]
    estimate = fit["estimate"]
    assert estimate.effect == pytest.approx(treated.mean() - control.mean(), abs=1e-12)
    welch = np.sqrt(treated.var(ddof=1) / n1 + control.var(ddof=1) / n0)
    assert estimate.se == pytest.approx(welch, rel=1e-10)
    bm = (1 / n1 + 1 / n0) ** 2 / (1 / (n1**2 * (n1 - 1)) + 1 / (n0**2 * (n0 - 1)))
    assert fit["df"] == pytest.approx(bm, rel=1e-10) and estimate.df == fit["df"]
    assert n1 - 1 < bm < n1 + n0 - 2  # between the smaller side's and the pooled test's
    t = stats.t.ppf(0.975, bm)
    assert (fit["ci_low"], fit["ci_high"]) == pytest.approx(
        (estimate.effect - t * welch, estimate.effect + t * welch), rel=1e-10)
    # the group aggregation in the JSON is the headline; R's influence-function SE (n in the
    # denominators) beside it
    group = fit["aggregations"]["group"]
    assert (group["se"], group["df"]) == pytest.approx((welch, bm), rel=1e-10)
    assert (group["ci_low"], group["ci_high"]) == (fit["ci_low"], fit["ci_high"])
    r_se = np.sqrt(treated.var() / n1 + control.var() / n0)
    assert group["se_did"] == pytest.approx(r_se, rel=1e-10)


def test_df_fall_with_few_never_treated_units_under_not_yet_treated():
    """After the last wave's rollout only the never treated compare: with 5 of them the
    headline's df follow them, where (units - 1) counted every unit of the waves."""
    rng = np.random.default_rng(4)
    settings = Analysis(comparison="not_yet_treated")
    few = waves.estimate_kpi(staggered_panel(rng, (10, 10), 5), SIM_KPI, settings, 0.05)
    many = waves.estimate_kpi(staggered_panel(rng, (10, 10), 40), SIM_KPI, settings, 0.05)
    assert few["df"] < 24 - 1 and few["df"] < many["df"]
    assert few["estimate"].se > few["aggregations"]["group"]["se_did"]
