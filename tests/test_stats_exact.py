"""The estimators against statsmodels (and pyfixest) to 1e-8."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from tests.simulate import SIM_KPI, ar1_panel
from valueproof.data import Panel
from valueproof.stats import adjust_pvalues, did
from valueproof.stats.cells import wald_test

SE_OPTIONS = {"iid": {}, "hc1": {"cov_type": "HC1"}}


def _frame(panel: Panel) -> pd.DataFrame:
    return pd.DataFrame({"y": panel.values["y"], "unit": panel.unit, "period": panel.period,
                         "treated": panel.treated.astype(int), "post": panel.post.astype(int)})


def _statsmodels_did(frame: pd.DataFrame, se: str):
    model = smf.ols("y ~ treated + post + treated:post", data=frame)
    if se == "cluster":
        return model.fit(cov_type="cluster", cov_kwds={"groups": frame["unit"]}, use_t=True)
    return model.fit(**SE_OPTIONS[se], use_t=True)


def _unbalanced(panel: Panel, rng) -> Panel:
    keep = rng.random(len(panel.unit)) > 0.3
    return Panel(unit=panel.unit[keep], unit_names=panel.unit_names, treated=panel.treated[keep],
                 post=panel.post[keep], period=panel.period[keep],
                 values={"y": panel.values["y"][keep]}, counts={"y": panel.counts["y"][keep]})


@pytest.mark.parametrize("balanced", [True, False])
@pytest.mark.parametrize("se", ["cluster", "hc1", "iid"])
def test_did_matches_statsmodels_ols(se, balanced):
    rng = np.random.default_rng(5)
    panel = ar1_panel(rng, n_units=30, n_periods=10, n_pre=5, effect=0.7, treated_share=0.4)
    if not balanced:
        panel = _unbalanced(panel, rng)
    data = did.KPIData(panel, SIM_KPI, has_control=True)
    fit = did.main_estimate(data, se)
    effect, error = did.contrast(fit, did.DID_WEIGHTS)
    reference = _statsmodels_did(_frame(panel), se)
    assert effect == pytest.approx(reference.params["treated:post"], abs=1e-8)
    assert error == pytest.approx(reference.bse["treated:post"], abs=1e-8)
    p_value = 2 * stats.t.sf(abs(effect / error), fit.df)
    assert p_value == pytest.approx(reference.pvalues["treated:post"], abs=1e-8)
    assert fit.df == reference.df_resid_inference if se == "cluster" else reference.df_resid


def test_repeated_cross_section_iid_equals_textbook_ols():
    rng = np.random.default_rng(8)
    n = 400
    treated, post = rng.random(n) < 0.5, rng.random(n) < 0.5
    y = 2 + treated + 0.5 * post + 1.2 * (treated & post) + rng.normal(0, 1, n)
    panel = Panel(unit=np.arange(n), unit_names=[str(i) for i in range(n)], treated=treated,
                  post=post, period=post.astype(np.int64), values={"y": y},
                  counts={"y": np.ones(n, dtype=np.int64)})
    fit = did.main_estimate(did.KPIData(panel, SIM_KPI, True), "iid")
    effect, error = did.contrast(fit, did.DID_WEIGHTS)
    reference = smf.ols("y ~ treated + post + treated:post",
                        data=pd.DataFrame({"y": y, "treated": treated.astype(int),
                                           "post": post.astype(int)})).fit()
    assert effect == pytest.approx(reference.params["treated:post"], abs=1e-10)
    assert error == pytest.approx(reference.bse["treated:post"], abs=1e-10)


@pytest.mark.parametrize("se", ["cluster", "iid"])
def test_event_study_matches_statsmodels(se):
    rng = np.random.default_rng(9)
    panel = _unbalanced(ar1_panel(rng, n_units=24, n_periods=8, n_pre=4), rng)
    data = did.KPIData(panel, SIM_KPI, True)
    pre_trend, points, _ = did.event_study(data, se, 0.05)
    frame = _frame(panel)
    for p in range(8):
        frame[f"tp{p}"] = ((frame.period == p) & (frame.treated == 1)).astype(int)
    terms = " + ".join(f"tp{p}" for p in range(8) if p != 3)  # reference: last pre period (3)
    model = smf.ols(f"y ~ C(period) + treated + {terms}", data=frame)
    reference = (model.fit(cov_type="cluster", cov_kwds={"groups": frame["unit"]}, use_t=True)
                 if se == "cluster" else model.fit(use_t=True))
    for point in points:
        if point.reference:
            assert point.period == "3" and point.coefficient == 0
            continue
        name = f"tp{point.period}"
        assert point.coefficient == pytest.approx(reference.params[name], abs=1e-8)
        half = reference.conf_int().loc[name, 1] - reference.params[name]
        assert point.ci_high - point.coefficient == pytest.approx(half, abs=1e-8)
    wald = reference.f_test(", ".join(f"tp{p} = 0" for p in range(3)))
    if se == "iid":  # the plain F test; the cluster version adds Hotelling's scaling on purpose
        assert pre_trend.statistic == pytest.approx(float(wald.fvalue), abs=1e-8)
        assert pre_trend.p_value == pytest.approx(float(wald.pvalue), abs=1e-8)
    else:
        groups, q = 24, 3
        scaled = float(wald.fvalue) * (groups - q) / (groups - 1)
        assert pre_trend.statistic == pytest.approx(scaled, abs=1e-8)
        assert pre_trend.df == (q, groups - q)


def test_did_agrees_with_pyfixest_on_a_panel_with_unit_and_period_effects():
    pyfixest = pytest.importorskip("pyfixest")
    rng = np.random.default_rng(12)
    panel = ar1_panel(rng, n_units=50, n_periods=12, n_pre=6, effect=0.4)
    frame = _frame(panel)
    fixest = pyfixest.feols("y ~ treated * post", data=frame, vcov={"CRV1": "unit"})
    tidy = fixest.tidy()
    fit = did.main_estimate(did.KPIData(panel, SIM_KPI, True), "cluster")
    effect, error = did.contrast(fit, did.DID_WEIGHTS)
    assert effect == pytest.approx(tidy.loc["treated:post", "Estimate"], abs=1e-8)
    assert error == pytest.approx(tidy.loc["treated:post", "Std. Error"], abs=1e-8)
    # On a balanced panel with a common rollout the two-way fixed-effects estimate is the same.
    twfe = pyfixest.feols("y ~ D | unit + period", data=frame.assign(D=frame.treated * frame.post),
                          vcov={"CRV1": "unit"})
    assert effect == pytest.approx(twfe.coef()["D"], abs=1e-8)


def test_relative_effect_is_effect_over_counterfactual():
    rng = np.random.default_rng(3)
    panel = ar1_panel(rng, effect=1.0)
    panel.values["y"] += 20
    fit = did.main_estimate(did.KPIData(panel, SIM_KPI, True), "cluster")
    effect, error = did.contrast(fit, did.DID_WEIGHTS)
    ratio, low, high = did.relative_effect(fit, True, "none", 0.05, effect, error)
    m = fit.means
    assert ratio == pytest.approx(effect / (m[2] + m[1] - m[0]), rel=1e-12)
    # delta method against a numerical gradient of the same function
    f = lambda mu: (mu[3] - mu[2] - mu[1] + mu[0]) / (mu[2] + mu[1] - mu[0])  # noqa: E731
    grad = np.array([(f(m + h) - f(m - h)) / 2e-6 for h in np.eye(4) * 1e-6])
    se_numeric = np.sqrt(grad @ fit.cov @ grad)
    t = stats.t.ppf(0.975, fit.df)
    assert high - ratio == pytest.approx(t * se_numeric, rel=1e-5)


def test_pvalue_adjustment_uses_statsmodels():
    from statsmodels.stats.multitest import multipletests

    p = [0.01, 0.04, 0.03, 0.2]
    assert adjust_pvalues(p, "holm") == pytest.approx(multipletests(p, method="holm")[1])
    assert adjust_pvalues(p, "bh") == pytest.approx(multipletests(p, method="fdr_bh")[1])
    assert adjust_pvalues(p, "none") == p


def test_wald_rank_handles_collinear_contrasts():
    rng = np.random.default_rng(4)
    panel = ar1_panel(rng, n_units=10, n_periods=6, n_pre=3)
    data = did.KPIData(panel, SIM_KPI, True)
    fit = did.main_estimate(data, "iid")
    weights = np.vstack([did.DID_WEIGHTS, 2 * did.DID_WEIGHTS])
    _, df, p_value = wald_test(fit, weights, "iid")
    assert df[0] == 1 and 0 <= p_value <= 1
