"""`kpis[].model: poisson`: the estimator against pyfixest's fepois and statsmodels' GLM, CR2
against its definitions, the KPI's fields end to end, validation, the report's words, and a
short calibration (the long one: `benchmarks/calibration.py --only poisson`)."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats

from tests.conftest import invoke
from tests.simulate_counts import COUNT_KPI, count_panel
from valueproof.data import Panel
from valueproof.errors import DataError
from valueproof.stats import did, poisson, poisson_kpi
from valueproof.stats.permutation import permutation_pvalues

pyfixest = pytest.importorskip("pyfixest")
VCOV = {"cr1": {"CRV1": "unit"}, "hc1": "hetero", "iid": "iid"}
TOL = 1e-6
pytestmark = pytest.mark.filterwarnings("ignore:The `demeaner_backend`:DeprecationWarning",
                                        "ignore::UserWarning")


def _unbalanced(rng, zero_units: int = 2, **kwargs) -> Panel:
    """A count panel with 20% of its cells missing and `zero_units` control units without any
    event."""
    full = count_panel(rng, **kwargs)
    y = full.values["y"].copy()
    last = full.unit_names[-zero_units:] if zero_units else []
    y[np.isin(full.unit, [full.unit_names.index(u) for u in last])] = 0.0
    keep = rng.random(len(y)) > 0.2
    return Panel(full.unit[keep], full.unit_names, full.treated[keep], full.post[keep],
                 full.period[keep], {"y": y[keep]}, {"y": full.counts["y"][keep]})


def _frame(panel: Panel) -> pd.DataFrame:
    frame = pd.DataFrame({"y": panel.values["y"], "unit": panel.unit, "period": panel.period,
                          "arm": panel.treated.astype(int), "post": panel.post.astype(float)})
    frame["D"] = frame.arm * frame.post
    return frame


def _fepois(formula: str, frame: pd.DataFrame, vcov):
    return pyfixest.fepois(formula, data=frame, vcov=vcov, iwls_tol=1e-14, iwls_maxiter=200,
                           fixef_tol=1e-14)


@pytest.mark.parametrize("se", ["cr1", "hc1", "iid"])
@pytest.mark.parametrize("seed, treated, control", [(1, 6, 24), (2, 15, 15), (3, 4, 40)])
def test_matches_pyfixest_fepois_on_unbalanced_panels_with_units_without_events(
        se, seed, treated, control):
    rng = np.random.default_rng(seed)
    panel = _unbalanced(rng, n_treated=treated, n_control=control, n_periods=10, n_pre=5,
                        rate=0.8, ratio=1.3)
    cells, post = did.KPIData(panel, COUNT_KPI, True).cells()
    fit = poisson.fit(cells, post.astype(float)[:, None], se)
    reference = _fepois("y ~ D | unit + period", _frame(panel), VCOV[se])
    assert fit.coef[0] == pytest.approx(reference.coef()["D"], abs=TOL)
    assert math.sqrt(fit.cov[0, 0]) == pytest.approx(reference.se()["D"], abs=TOL)
    assert fit.df == reference._df_t
    assert fit.n_cells == reference._N  # the same cells: units without events left out
    assert fit.zero_units >= 2 and fit.n_clusters == treated + control - fit.zero_units


def test_repeated_cross_section_and_before_after_match_pyfixest():
    rng = np.random.default_rng(8)
    n = 500
    treated, period = rng.random(n) < 0.4, rng.integers(0, 6, n)
    post = period >= 3
    y = rng.poisson(np.exp(0.2 + 0.3 * treated + 0.1 * period + 0.25 * (treated & post)))
    panel = Panel(unit=np.arange(n), unit_names=[str(i) for i in range(n)], treated=treated,
                  post=post, period=period.astype(np.int64), values={"y": y.astype(float)},
                  counts={"y": np.ones(n, np.int64)})
    cells, flags = did.KPIData(panel, COUNT_KPI, True, unit_effects=False).cells()
    fit = poisson.fit(cells, flags.astype(float)[:, None], "cluster")  # CR1: fe not nested
    reference = _fepois("y ~ D | arm + period", _frame(panel), {"CRV1": "unit"})
    assert fit.coef[0] == pytest.approx(reference.coef()["D"], abs=TOL)
    assert math.sqrt(fit.cov[0, 0]) == pytest.approx(reference.se()["D"], abs=TOL)

    # no control group: y ~ post | unit on the treated units
    rng = np.random.default_rng(9)
    full = _unbalanced(rng, zero_units=0, n_treated=12, n_control=0, n_periods=8, n_pre=4)
    cells, flags = did.KPIData(full, COUNT_KPI, False).cells()
    fit = poisson.fit(cells, flags.astype(float)[:, None], "cr1", period_effects=False)
    reference = _fepois("y ~ post | unit", _frame(full), {"CRV1": "unit"})
    assert fit.coef[0] == pytest.approx(reference.coef()["post"], abs=TOL)
    assert math.sqrt(fit.cov[0, 0]) == pytest.approx(reference.se()["post"], abs=TOL)


def test_event_study_terms_match_pyfixest():
    rng = np.random.default_rng(4)
    panel = _unbalanced(rng, n_treated=10, n_control=20, n_periods=6, n_pre=3, rate=1.5)
    cells, _ = did.KPIData(panel, COUNT_KPI, True).cells()
    others = [0, 1, 3, 4, 5]  # reference: the last pre period
    fit = poisson.fit(cells, np.eye(6)[:, others], "cr1")
    frame = _frame(panel)
    for p in others:
        frame[f"D{p}"] = frame.arm * (frame.period == p)
    reference = _fepois("y ~ " + " + ".join(f"D{p}" for p in others) + " | unit + period", frame,
                        {"CRV1": "unit"})
    assert fit.coef == pytest.approx(reference.coef().to_numpy(), abs=TOL)
    assert np.sqrt(np.diag(fit.cov)) == pytest.approx(reference.se().to_numpy(), abs=TOL)


def _cr2_reference(frame: pd.DataFrame, mu: np.ndarray, beta: np.ndarray):
    """CR2 of the Poisson model linearised at the estimate, from the definitions (every unit
    and period dummy in the design; weights mu, working response log mu + (y - mu)/mu, working
    model W^-1), with Bell-McCaffrey's Satterthwaite df: (coefficient, SE, df)."""
    units, periods = np.unique(frame.unit), np.unique(frame.period)
    X = np.column_stack([(frame.unit.to_numpy()[:, None] == units).astype(float),
                         (frame.period.to_numpy()[:, None] == periods[1:]).astype(float),
                         frame.D.to_numpy()])
    y = frame.y.to_numpy()
    root = np.sqrt(mu)
    Xw, zw = X * root[:, None], (np.log(mu) + (y - mu) / mu) * root
    M = np.linalg.pinv(Xw.T @ Xw)
    coef = M @ Xw.T @ zw
    e = zw - Xw @ coef
    I_H = np.eye(len(y)) - Xw @ M @ Xw.T
    c = np.zeros(X.shape[1])
    c[-1] = 1.0
    meat, p = np.zeros((X.shape[1], X.shape[1])), []
    for u in units:
        rows = np.flatnonzero(frame.unit.to_numpy() == u)
        values, vectors = np.linalg.eigh(I_H[np.ix_(rows, rows)])
        A = vectors @ np.diag(np.where(values > 1e-10, 1 / np.sqrt(np.maximum(values, 1e-300)),
                                       0.0)) @ vectors.T
        score = Xw[rows].T @ A @ e[rows]
        meat += np.outer(score, score)
        q = np.zeros(len(y))
        q[rows] = A @ Xw[rows] @ M @ c
        p.append(I_H @ q)
    V = M @ meat @ M
    P = np.array(p) @ np.array(p).T
    return float(coef[-1]), float(np.sqrt(V[-1, -1])), float(np.trace(P) ** 2 / (P ** 2).sum())


@pytest.mark.parametrize("seed, treated, control", [(5, 4, 16), (6, 10, 10)])
def test_cr2_is_the_linearised_models_cr2_and_the_estimate_statsmodels_glm(seed, treated, control):
    rng = np.random.default_rng(seed)
    panel = _unbalanced(rng, zero_units=0, n_treated=treated, n_control=control, n_periods=6,
                        n_pre=3, rate=1.0, ratio=1.4)
    frame = _frame(panel)
    glm = smf.glm("y ~ D + C(unit) + C(period)", data=frame,
                  family=sm.families.Poisson()).fit(tol=1e-13)
    cells, post = did.KPIData(panel, COUNT_KPI, True).cells()
    fit = poisson.fit(cells, post.astype(float)[:, None], "cluster")
    assert fit.coef[0] == pytest.approx(glm.params["D"], abs=1e-7)
    coef, se, df = _cr2_reference(frame, glm.fittedvalues.to_numpy(), glm.params)
    assert coef == pytest.approx(fit.coef[0], abs=1e-7)  # IRLS's fixed point
    assert math.sqrt(fit.cov[0, 0]) == pytest.approx(se, rel=1e-6)
    assert fit.df == pytest.approx(df, rel=1e-6)
    assert fit.df < treated + control - 1  # lopsided designs get fewer df than G - 1


def test_separated_data_are_not_estimable():
    rng = np.random.default_rng(7)
    panel = count_panel(rng, n_treated=5, n_control=10)
    y = panel.values["y"].copy()
    y[panel.treated & panel.post] = 0.0  # no event with the product
    panel = Panel(panel.unit, panel.unit_names, panel.treated, panel.post, panel.period,
                  {"y": y}, panel.counts)
    data = did.KPIData(panel, COUNT_KPI, True)
    cells, post = data.cells()
    assert poisson.fit(cells, post.astype(float)[:, None], "cluster") is None
    with pytest.raises(DataError, match="had no events after the rollout"):
        poisson_kpi.main_estimate(data, "cluster")


def test_randomization_interval_bounds_are_where_the_test_turns():
    """Few treated units: dividing their post-rollout counts by a ratio just inside the
    interval is not rejected by the permutation test, just outside it is."""
    rng = np.random.default_rng(12)
    panel = count_panel(rng, n_treated=3, n_control=25, rate=2.0, ratio=1.5)
    data = did.KPIData(panel, COUNT_KPI, True)
    treated = np.arange(28) < 3
    sums = did.unit_sums(data, 28)
    low, high, smallest = poisson_kpi.ratio_interval(
        poisson_kpi.ratio_draws(sums, treated, 2000, 1), 0.05)
    assert smallest < 0.05 and np.isfinite(low) and np.isfinite(high)

    def p_at(ratio: float) -> float:
        adjusted = sums.copy()
        adjusted[treated, 2] /= ratio
        return permutation_pvalues([adjusted], treated, 2000, 1)[0][0]

    for bound, inward in ((low, 1.01), (high, 1 / 1.01)):
        assert p_at(np.exp(bound) * inward) > 0.05
        assert p_at(np.exp(bound) / inward) <= 0.05


def _count_rows(n_treated=10, n_control=10, ratio=1.5, seed=3) -> pd.DataFrame:
    """Rows per unit and day (3 a week, 8 weeks, rollout after week 4) with a count of deals;
    the last control unit never has one."""
    rng = np.random.default_rng(seed)
    start = dt.date(2026, 2, 2)
    rows = []
    for u in range(n_treated + n_control):
        group, level = ("T" if u < n_treated else "C"), rng.gamma(2.0, 0.5)
        for w in range(8):
            for d in range(3):
                mean = 0.8 * level * (ratio if group == "T" and w >= 4 else 1.0)
                deals = 0 if u == n_treated + n_control - 1 else int(rng.poisson(mean))
                rows.append({"unit": f"U{u:02d}", "group": group,
                             "day": (start + dt.timedelta(weeks=w, days=d)).isoformat(),
                             "deals": deals, "minutes": float(rng.normal(10, 1))})
    return pd.DataFrame(rows)


COUNT_DEFINITION = {
    "data": {"path": "data.csv", "unit": "unit", "time": "day", "unit_name": "rep"},
    "post": {"start": "2026-03-02", "end": "2026-03-29"},
    "kpis": [{"id": "deals", "label": "Deals won", "column": "deals", "better": "higher",
              "unit": {"one": "deal", "other": "deals"}, "aggregate": "sum", "model": "poisson"},
             {"id": "minutes", "label": "Handle time", "column": "minutes", "unit": "min",
              "better": "lower"}],
    "success_criteria": [{"kpi": "deals", "target": "20%"}],
    "roi": {"currency": "EUR", "costs": [{"label": "Licences", "amount": 500, "per": "month"}],
            "benefits": [{"kpi": "deals", "value_per_unit": 100, "volume": 40, "per": "week"}]},
}


@pytest.fixture
def count_experiment(write_experiment):
    return write_experiment(COUNT_DEFINITION, frame=_count_rows())


def test_results_json_reads_the_rate_ratio_everywhere(count_experiment, runner, tmp_path):
    out = tmp_path / "results.json"
    result = invoke(runner, "analyze", count_experiment, "--json", out)
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    deals, minutes = data["kpis"]
    assert deals["model"] == "poisson" and minutes["model"] == "linear"
    assert minutes["rate_ratio"] is None
    rr = math.exp(deals["effect"])
    assert deals["rate_ratio"] == pytest.approx(rr)
    assert deals["rate_ratio_ci_low"] == pytest.approx(math.exp(deals["ci_low"]))
    assert deals["rate_ratio_ci_high"] == pytest.approx(math.exp(deals["ci_high"]))
    assert deals["relative_effect"] == pytest.approx(rr - 1)
    assert deals["relative_ci_low"] == pytest.approx(math.exp(deals["ci_low"]) - 1)
    level = deals["means"]["treatment_post"]
    assert deals["level"] == pytest.approx(level)
    assert deals["effect_units"] == pytest.approx(level * (1 - 1 / rr))
    assert deals["effect_units_high"] == pytest.approx(level * (1 - math.exp(-deals["ci_high"])))
    assert deals["units_without_events"] == 1
    assert any("1 unit(s) had no events" in w for w in deals["warnings"])
    assert any(w.startswith("Deals won: 1 unit(s) had no events") for w in data["warnings"])
    assert 1.0 < deals["rate_ratio"] < 2.5  # true ratio 1.5
    # the p-value is the t test of the log rate ratio with the fit's df
    t = deals["effect"] / deals["se"]
    assert deals["p_value"] == pytest.approx(2 * stats.t.sf(abs(t), deals["df"]))
    criterion = data["criteria"][0]
    assert criterion["measured"] == pytest.approx(deals["relative_effect"])  # RR - 1 vs 20%
    benefit = data["roi"]["benefits"][0]
    assert benefit["improvement"] == pytest.approx(deals["effect_units"])  # deals per rep-week


def test_report_says_it_in_plain_words_in_every_language(count_experiment):
    from valueproof.commands.pipeline import pipeline
    from valueproof.report.render import render_html

    experiment, results = pipeline(count_experiment)
    deals = results.kpi("deals")
    html, _ = render_html(experiment, results, "en")
    text = " ".join(html.replace("\u00a0", " ").split())
    shown = f"{deals.relative_effect:.0%}"
    assert f"Deals won rose by about {shown}" in text
    assert "deals per unit (rep) and week, compared with comparison units" in text
    assert "as a ratio of rates (Poisson regression)" in text
    assert "1 unit had no events in the compared periods" in text
    for locale, words in (("pl", "o około"), ("de", "um etwa"), ("fr", "d'environ"),
                          ("es", "alrededor de"), ("sk", "približne"), ("tr", "yaklaşık"),
                          ("ar", "بنحو")):
        html, _ = render_html(experiment, results, locale)
        assert words in html.replace("&#39;", "'").replace("\u00a0", " "), locale


@pytest.mark.parametrize("change, key", [
    ({"aggregate": "mean"}, "kpis[0].model"),
    ({"aggregate": "rate", "column": None, "numerator": "deals"}, "kpis[0].model"),
    ({"transform": "log"}, "kpis[0].transform"),
    ({"column": "negative"}, "kpis[0].model"),
])
def test_model_poisson_needs_counts(write_experiment, runner, tmp_path, change, key):
    definition = json.loads(json.dumps(COUNT_DEFINITION))
    definition["kpis"][0].update(change)
    definition["kpis"][0] = {k: v for k, v in definition["kpis"][0].items() if v is not None}
    frame = _count_rows()
    frame["negative"] = frame.deals.where(frame.index != 5, -1)
    path = write_experiment(definition, frame=frame)
    for command in ("validate", "analyze"):
        out = tmp_path / "results.json"
        result = invoke(runner, command, path, *(["--json", out] if command == "analyze" else []))
        assert result.exit_code == 2, result.output
        assert key in result.output and "Traceback" not in result.output
        assert not out.exists()


def test_model_poisson_is_not_for_rollouts_in_waves(write_experiment, runner):
    frame = _count_rows()
    frame["first_used"] = np.where(frame.group == "T", "2026-03-02", "")
    definition = json.loads(json.dumps(COUNT_DEFINITION))
    definition.update(rollout={"column": "first_used"}, groups={}, post=None)
    path = write_experiment({**definition, "groups": None, "pre": None}, frame=frame)
    result = invoke(runner, "validate", path)
    assert result.exit_code == 2 and "kpis[0].model" in result.output, result.output


def test_linear_stays_the_default():
    assert COUNT_KPI.model == "poisson"
    assert type(COUNT_KPI)(id="x", column="x", better="higher", aggregate="sum").model == "linear"


def test_short_calibration_in_a_sparse_twenty_against_twenty_design():
    """0.4 events per unit-week, overdispersed and serially correlated (the README's table has
    the long run): false positives and coverage of the rate ratio near their nominal values."""
    rng = np.random.default_rng(20240601)
    reject = cover = 0
    n = 200
    for _ in range(n):
        for ratio in (1.0, 1.25):
            data = did.KPIData(count_panel(rng, 20, 20, 12, 6, 0.4, ratio=ratio), COUNT_KPI, True)
            estimate = poisson_kpi.main_estimate(data, "cluster")
            t = did.t_critical(0.05, estimate.df)
            low, high = estimate.effect - t * estimate.se, estimate.effect + t * estimate.se
            if ratio == 1.0:
                reject += not low <= 0.0 <= high
            else:
                cover += low <= math.log(ratio) <= high
    assert 0.01 <= reject / n <= 0.09  # MC SE 1.5 points at 5%
    assert 0.91 <= cover / n <= 0.99


def test_units_influences_add_up_to_the_variance():
    """What the ROI's joint range combines across KPIs: each unit's influence on the log rate
    ratio, whose squares sum to the reported variance (CR2 and CR1)."""
    rng = np.random.default_rng(12)
    panel = count_panel(rng, 8, 12, 8, 4, 1.0, ratio=1.3)
    cells, post = did.KPIData(panel, COUNT_KPI, True).cells()
    for se in ("cluster", "cr1"):
        fit = poisson.fit(cells, post.astype(float)[:, None], se)
        assert fit.influence.shape == (20, 1)
        assert float(fit.influence[:, 0] @ fit.influence[:, 0]) == pytest.approx(fit.cov[0, 0])


def test_units_seen_on_one_side_get_the_sensitivity_fit():
    from valueproof.config.kpis import Analysis

    rng = np.random.default_rng(13)
    full = count_panel(rng, 8, 12, 8, 4, 1.5, ratio=1.3)
    joined = (full.unit == 0) & ~full.post  # unit 0 is seen only after the rollout
    panel = Panel(full.unit[~joined], full.unit_names, full.treated[~joined], full.post[~joined],
                  full.period[~joined], {"y": full.values["y"][~joined]},
                  {"y": full.counts["y"][~joined]})
    data = did.KPIData(panel, COUNT_KPI, True)
    fields = poisson_kpi.fields(COUNT_KPI, data, poisson_kpi.main_estimate(data, "cluster"),
                                Analysis(), [], None, 0.05, panel.unit_names)
    assert fields["attrition"]["treatment"]["joined"] == 1
    without = full.unit != 0
    alone = Panel(full.unit[without], full.unit_names, full.treated[without], full.post[without],
                  full.period[without], {"y": full.values["y"][without]},
                  {"y": full.counts["y"][without]})
    cells, post = did.KPIData(alone, COUNT_KPI, True).cells()
    reference = poisson.fit(cells, post.astype(float)[:, None], "cluster")
    assert fields["sensitivity"]["units"] == 19
    assert fields["sensitivity"]["effect"] == pytest.approx(reference.coef[0], abs=1e-10)


@pytest.mark.parametrize("treated, test", [(25, "linear_trend"), (3, "randomization")])
def test_pre_trend_check_on_the_log_scale(treated, test):
    """A real difference in growth before the rollout (30% a period) is detected, by the t test
    of the log-trend slope or, with 3 treated units, by its randomization score test; parallel
    trends in ratios with different group levels and seasons are not read as one."""
    rng = np.random.default_rng(15)
    steep = count_panel(rng, treated, 25, 12, 6, 10.0, pre_trend=0.3, sigma=0.2)
    data = did.KPIData(steep, COUNT_KPI, True)
    cells, post = data.cells()
    check = poisson_kpi.log_trend(data, cells, post, "cluster", 0.05)
    assert check.status == "detected" and check.test == test
    assert check.trend == pytest.approx(0.3, abs=0.1)  # log points per period
    flat = count_panel(rng, treated, 25, 12, 6, 10.0, sigma=0.2)
    data = did.KPIData(flat, COUNT_KPI, True)
    cells, post = data.cells()
    assert poisson_kpi.log_trend(data, cells, post, "cluster", 0.05).test == test
