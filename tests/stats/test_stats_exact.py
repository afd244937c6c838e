"""The estimators against pyfixest and statsmodels: exact agreement, not approximate."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
import yaml
from click.testing import CliRunner
from scipy import stats

from tests.conftest import BASE_DEFINITION, invoke, panel_frame
from tests.simulate import SIM_KPI, ar1_panel
from valueproof.config.kpis import KPI
from valueproof.data import Panel
from valueproof.stats import adjust_pvalues, did, event_study, permutation
from valueproof.stats.permutation import CHUNK, assignments, permutation_pvalues

pyfixest = pytest.importorskip("pyfixest")
VCOV = {"cr1": {"CRV1": "unit"}, "hc1": "hetero", "iid": "iid"}
TOL = 1e-8
# pyfixest's demeaning is iterative: a tight tolerance makes it exact to the digits compared
pytestmark = pytest.mark.filterwarnings("ignore:The `demeaner_backend`:DeprecationWarning")


def _frame(panel: Panel, kpi: str = "y") -> pd.DataFrame:
    frame = pd.DataFrame({"y": panel.values[kpi], "unit": panel.unit, "period": panel.period,
                          "treated": panel.treated.astype(int), "post": panel.post.astype(int),
                          "w": panel.weights.get(kpi, panel.counts[kpi]).astype(float)})
    frame["D"] = frame.treated * frame.post
    frame["arm"] = frame.treated
    return frame


def _weighted_unbalanced(panel: Panel, rng) -> Panel:
    """Drop 30% of the cells and give the rest 1-40 observations each."""
    keep = rng.random(len(panel.unit)) > 0.3
    counts = rng.integers(1, 41, keep.sum())
    return Panel(unit=panel.unit[keep], unit_names=panel.unit_names, treated=panel.treated[keep],
                 post=panel.post[keep], period=panel.period[keep],
                 values={"y": panel.values["y"][keep]}, counts={"y": counts})


def _feols(formula: str, frame: pd.DataFrame, se: str, weights: bool = True):
    return pyfixest.feols(formula, data=frame, vcov=VCOV[se], weights="w" if weights else None,
                          fixef_tol=1e-14)


@pytest.mark.parametrize("se", ["cr1", "hc1", "iid"])
def test_did_matches_pyfixest_two_way_fixed_effects_weighted_unbalanced(se):
    rng = np.random.default_rng(5)
    panel = _weighted_unbalanced(ar1_panel(rng, n_units=30, n_periods=10, n_pre=5, effect=0.7,
                                           treated_share=0.4), rng)
    estimate = did.main_estimate(did.KPIData(panel, SIM_KPI, has_control=True), se)
    reference = _feols("y ~ D | unit + period", _frame(panel), se)
    assert estimate.effect == pytest.approx(reference.coef()["D"], abs=TOL)
    assert estimate.se == pytest.approx(reference.se()["D"], abs=TOL)
    assert estimate.df == (29 if se == "cr1" else reference._df_t)


@pytest.mark.parametrize("se", ["cr1", "iid"])
def test_repeated_cross_section_uses_group_and_period_effects(se):
    rng = np.random.default_rng(8)
    n = 600
    unit = np.arange(n)
    treated, period = rng.random(n) < 0.4, rng.integers(0, 6, n)
    post = period >= 3
    y = 2 + treated + 0.3 * period + 1.2 * (treated & post) + rng.normal(0, 1, n)
    panel = Panel(unit=unit, unit_names=[str(i) for i in unit], treated=treated, post=post,
                  period=period.astype(np.int64), values={"y": y},
                  counts={"y": rng.integers(1, 5, n)})
    data = did.KPIData(panel, SIM_KPI, True, unit_effects=False)
    estimate = did.main_estimate(data, se)
    reference = _feols("y ~ D | arm + period", _frame(panel), se)
    assert estimate.effect == pytest.approx(reference.coef()["D"], abs=TOL)
    assert estimate.se == pytest.approx(reference.se()["D"], abs=TOL)


def test_point_estimate_equals_the_observation_level_regression():
    """Cells weighted by their observations = OLS on the rows with unit and period dummies."""
    rng = np.random.default_rng(11)
    rows = []
    for u in range(16):
        treated = u < 6
        for p in range(6):
            for _ in range(rng.integers(1, 9) * (1 + 3 * treated)):  # busy treated units
                effect = -2.0 * (1 + u % 3) if treated and p >= 3 else 0.0
                rows.append((u, p, int(treated), int(p >= 3), 10 + u + p + effect + rng.normal()))
    obs = pd.DataFrame(rows, columns=["unit", "period", "treated", "post", "y"])
    obs["D"] = obs.treated * obs.post
    cells = obs.groupby(["unit", "period"]).agg(y=("y", "mean"), n=("y", "size"),
                                                treated=("treated", "first"),
                                                post=("post", "first")).reset_index()
    panel = Panel(unit=cells.unit.to_numpy(), unit_names=[str(i) for i in range(16)],
                  treated=cells.treated.to_numpy(bool), post=cells.post.to_numpy(bool),
                  period=cells.period.to_numpy(np.int64), values={"y": cells.y.to_numpy()},
                  counts={"y": cells.n.to_numpy()})
    estimate = did.main_estimate(did.KPIData(panel, SIM_KPI, True), "cr1")
    rows_fit = smf.ols("y ~ D + C(unit) + C(period)", data=obs).fit(
        cov_type="cluster", cov_kwds={"groups": obs["unit"]})
    assert estimate.effect == pytest.approx(rows_fit.params["D"], abs=TOL)
    # the cluster scores are the same sums; only the small-sample factor counts rows vs cells
    n_rows, n_cells = len(obs), len(cells)
    k_rows, k_cells = 2 + 15 + 5, 1 + 6  # statsmodels counts every dummy and the constant
    ratio = ((n_rows - 1) / (n_rows - k_rows)) / ((n_cells - 1) / (n_cells - k_cells))
    assert estimate.se == pytest.approx(rows_fit.bse["D"] / np.sqrt(ratio), rel=1e-8)
    units = did.main_estimate(did.KPIData(panel, KPI(id="y", column="y", better="higher",
                                                     weight="units"), True), "cluster")
    assert abs(units.effect - estimate.effect) > 0.1  # the two estimands differ here


def test_balanced_panel_with_equal_weights_gives_the_classic_2x2():
    rng = np.random.default_rng(12)
    panel = ar1_panel(rng, n_units=50, n_periods=12, n_pre=6, effect=0.4)
    estimate = did.main_estimate(did.KPIData(panel, SIM_KPI, True), "cluster")
    classic = smf.ols("y ~ treated * post", data=_frame(panel)).fit()
    assert estimate.effect == pytest.approx(classic.params["treated:post"], abs=1e-10)


@pytest.mark.parametrize("se", ["cr1", "iid"])
def test_event_study_matches_pyfixest_and_averages_to_the_effect(se):
    rng = np.random.default_rng(9)
    panel = ar1_panel(rng, n_units=24, n_periods=8, n_pre=4, effect=0.5)
    data = did.KPIData(panel, SIM_KPI, True)
    pre_trend, points, _ = event_study.event_study(data, se, 0.05)
    frame = _frame(panel)
    for p in range(8):
        frame[f"tp{p}"] = ((frame.period == p) & (frame.treated == 1)).astype(int)
    terms = " + ".join(f"tp{p}" for p in range(8) if p != 3)  # reference: last pre period (3)
    reference = _feols(f"y ~ {terms} | unit + period", frame, se)
    coef = np.array([0.0 if p == 3 else reference.coef()[f"tp{p}"] for p in range(8)])
    centred = coef - coef[:4].mean()
    assert [pt.coefficient for pt in points] == pytest.approx(list(centred), abs=TOL)
    # relation to the headline, stated in the report: mean post - mean pre = the DiD
    estimate = did.main_estimate(data, se)
    post_mean = np.mean([pt.coefficient for pt in points if pt.post])
    pre_mean = np.mean([pt.coefficient for pt in points if not pt.post])
    assert post_mean - pre_mean == pytest.approx(estimate.effect, abs=1e-10)
    wald = reference.wald_test(R=np.eye(7)[:3], q=np.zeros(3))  # tp0, tp1, tp2 = 0
    wald_statistic = float(wald["statistic"] if isinstance(wald, (dict, pd.Series)) else wald.iloc[0])
    q = 3  # pyfixest reports the Wald statistic W; the F statistic is W / q
    if se == "iid":
        assert pre_trend.statistic == pytest.approx(wald_statistic / q, rel=1e-8)
    else:  # Hotelling's scaling of the cluster Wald test, on purpose
        groups = 24
        assert pre_trend.statistic == pytest.approx(
            wald_statistic / q * (groups - q) / (groups - 1), rel=1e-8)
        assert pre_trend.df == (q, groups - q)


def test_relative_effect_is_effect_over_counterfactual():
    rng = np.random.default_rng(3)
    panel = ar1_panel(rng, effect=1.0)
    panel.values["y"] += 20
    estimate = did.main_estimate(did.KPIData(panel, SIM_KPI, True), "cluster")
    ratio, low, high = did.relative_effect(estimate, "none", 0.05)
    counterfactual = estimate.means["treatment_post"] - estimate.effect
    assert ratio == pytest.approx(estimate.effect / counterfactual, rel=1e-12)
    assert low < ratio < high


def test_tiny_design_without_degrees_of_freedom_reports_no_standard_error():
    """Two districts observed yearly: the DiD is defined, its iid SE is not; nothing crashes."""
    panel = Panel(unit=np.array([0, 0, 1, 1]), unit_names=["a", "b"],
                  treated=np.array([True, True, False, False]),
                  post=np.array([False, True, False, True]), period=np.array([1992, 1993] * 2),
                  values={"y": np.array([20.0, 21.0, 23.0, 21.5])},
                  counts={"y": np.ones(4, dtype=np.int64)})
    data = did.KPIData(panel, SIM_KPI, True)
    estimate = did.main_estimate(data, "iid")
    assert estimate.effect == pytest.approx((21 - 20) - (21.5 - 23))
    assert np.isnan(estimate.se)
    pre_trend, _, _ = event_study.event_study(data, "iid", 0.05)
    assert pre_trend.status == "not_testable"


def test_pvalue_adjustment_uses_statsmodels():
    from statsmodels.stats.multitest import multipletests

    p = [0.01, 0.04, 0.03, 0.2]
    assert adjust_pvalues(p, "holm") == pytest.approx(multipletests(p, method="holm")[1])
    assert adjust_pvalues(p, "bh") == pytest.approx(multipletests(p, method="fdr_bh")[1])
    assert adjust_pvalues(p, "none") == p


def test_joint_test_handles_collinear_restrictions():
    cov = np.array([[1.0, 2.0], [2.0, 4.0]])
    statistic, df, p_value = event_study.joint_test(np.array([1.0, 2.0]), cov, 10, 20, "iid")
    assert df[0] == 1 and 0 <= p_value <= 1
    assert statistic == pytest.approx(1.0)
    assert p_value == pytest.approx(stats.f.sf(1.0, 1, 20))


def test_relative_interval_is_fiellers():
    """The bounds are where the t statistic of e - r c equals the critical value; when the
    counterfactual level is itself indistinguishable from zero there are no bounds."""
    estimate = did.Estimate(effect=-2.0, se=0.5, df=30, means={}, level=8.0, level_se=0.6,
                            cov_effect_level=0.1, n_cells=100)
    ratio, low, high = did.relative_effect(estimate, "none", 0.05)
    t = stats.t.ppf(0.975, 30)
    e, c = -2.0, 10.0
    var_e, var_c, cov_ec = 0.25, 0.36 + 0.25 - 0.2, 0.1 - 0.25
    assert ratio == pytest.approx(e / c)
    for r in (low, high):
        assert (e - r * c) ** 2 == pytest.approx(t**2 * (var_e - 2 * r * cov_ec + r**2 * var_c))
    assert low < ratio < high
    vague = did.Estimate(effect=-2.0, se=0.5, df=30, means={}, level=-1.5, level_se=3.0,
                         cov_effect_level=0.0, n_cells=100)
    assert did.relative_effect(vague, "none", 0.05)[1:] == (None, None)


def test_counterfactual_precision_flags_an_uncertain_level():
    sharp = did.Estimate(effect=-2.0, se=0.5, df=30, means={}, level=8.0, level_se=0.6,
                         cov_effect_level=0.1, n_cells=100)
    vague = did.Estimate(effect=-2.0, se=0.5, df=30, means={}, level=1.0, level_se=1.5,
                         cov_effect_level=0.0, n_cells=100)
    assert did.counterfactual_precision(sharp) == pytest.approx(np.sqrt(0.36 + 0.25 - 0.2) / 10)
    assert did.counterfactual_precision(vague) > 0.2


def test_kpis_with_the_same_usable_cells_share_their_layout_and_get_what_each_alone_gets():
    """The stats stage hands every KPI one `shared` dict: KPIs with the same usable cells reuse
    one layout (codes, events), a KPI with other cells (here some missing) gets its own, and
    every matrix is what the KPI computed alone gives."""
    import dataclasses

    base = ar1_panel(np.random.default_rng(5), n_units=30, n_periods=10, n_pre=5)
    gappy = base.values["y"].copy()
    gappy[[3, 17, 40]] = np.nan
    panel = dataclasses.replace(
        base, values={"y": base.values["y"], "z": base.values["y"] * 2, "g": gappy},
        counts={k: base.counts["y"] for k in ("y", "z", "g")})
    kpis = [KPI(id=k, column=k, better="higher") for k in ("y", "z", "g")]
    shared = {}
    together = [did.KPIData(panel, kpi, True, shared=shared) for kpi in kpis]
    assert len([key for key in shared if key != "straddling"]) == 2
    assert together[0].units is together[1].units and together[2].units is not together[0].units
    for kpi, data in zip(kpis, together):
        alone = did.KPIData(panel, kpi, True)
        for name in ("W", "WY", "units", "event_period", "event_post", "unit_treated"):
            np.testing.assert_array_equal(getattr(data, name), getattr(alone, name))
    assert together[2].W.sum() == together[0].W.sum() - 3


# -- randomization inference: the draws and their number ----------------------------------------

def test_random_assignments_are_the_seeded_draws_in_reused_buffers():
    """Each batch is what a fresh uniform draw, its partition and the comparison give (the
    buffers are reused, the draws and their order are not changed), with k units treated."""
    n, k, draws, seed = 300, 40, 2 * CHUNK + 44, 7
    got = [batch.copy() for batch in assignments(n, k, draws, seed)]
    rng, expected, done = np.random.default_rng(seed), [], 0
    while done < draws:
        size = min(CHUNK, draws - done)
        uniform = rng.random((size, n))
        expected.append((uniform <= np.partition(uniform, k - 1, axis=1)[:, k - 1:k]).astype(float))
        done += size
    assert [g.shape for g in got] == [e.shape for e in expected] == [(128, n), (128, n), (44, n)]
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(g, e)
        assert (g.sum(axis=1) == k).all()


def test_enumerable_says_whether_every_assignment_fits_in_the_draws_as_comb_does():
    for n in range(0, 25):
        for k in range(0, n + 1):
            for draws in (0, 1, 2, 20, 924, 925, 2000):
                assert permutation.enumerable(n, k, draws) == (math.comb(n, k) <= draws)
    assert not permutation.enumerable(50_000, 25_000, 2000)
    assert permutation.enumerable(12, 6, 924) and not permutation.enumerable(12, 6, 923)


def test_permutation_pvalues_count_the_draws_as_written_out():
    rng = np.random.default_rng(3)
    n, draws, seed = 40, 2000, 11
    sums = [np.column_stack([rng.gamma(2, size=n) * w, w, rng.gamma(2, size=n) * w, w])
            for w in (rng.integers(1, 9, n).astype(float), np.ones(n))]
    treated = np.zeros(n, bool)
    treated[:15] = True

    def did_of(assign: np.ndarray, s: np.ndarray) -> float:
        t, c = s[assign].sum(axis=0), s[~assign].sum(axis=0)
        return (t[2] / t[3] - t[0] / t[1]) - (c[2] / c[3] - c[0] / c[1])

    observed = [did_of(treated, s) for s in sums]
    extreme = np.zeros(len(sums))
    for batch in assignments(n, 15, draws, seed):
        for row in batch.astype(bool):
            extreme += [abs(did_of(row, s)) >= abs(o) - 1e-10 * max(1, abs(o))
                        for s, o in zip(sums, observed)]
    p_values, used, exact = permutation_pvalues(sums, treated, draws, seed)
    assert (used, exact) == (draws, False)
    np.testing.assert_allclose(p_values, (1 + extreme) / (1 + draws), rtol=0, atol=0)


@pytest.mark.parametrize("treated, budget, expected", [
    (12, None, (2000, False)),      # the default: every draw asked for
    (12, 24 * 300, (1000, False)),  # a robustness row in a large design: fewer, not under 1,000
    (3, 24 * 300, (1771, True)),    # the test leads (3 treated units): every assignment, exactly
])
def test_the_permutation_test_draws_fewer_times_only_as_a_robustness_row(
        tmp_path, monkeypatch, treated, budget, expected):
    if budget is not None:  # the same rule with the budget of a design this size
        monkeypatch.setattr(permutation, "ROBUSTNESS_BUDGET", budget)
    panel_frame(n_treated=treated, n_control=23 - treated if treated == 3 else 12).to_csv(
        tmp_path / "data.csv", index=False)
    (tmp_path / "experiment.yaml").write_text(yaml.safe_dump(BASE_DEFINITION))
    result = invoke(CliRunner(), "analyze", tmp_path / "experiment.yaml", "--json",
                    tmp_path / "results.json")
    assert result.exit_code == 0, result.output
    for kpi in json.loads((tmp_path / "results.json").read_text())["kpis"]:
        robustness = kpi["robustness"]
        assert (robustness["permutations"], robustness["exact"]) == expected
