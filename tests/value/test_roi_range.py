"""The ROI's range at its stated level: the units' influences behind it, the joint interval,
its fallbacks, its words on the page, its calibration (short), and what a rollout in waves
realised in the measured period."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tests.conftest import EXAMPLES, panel_frame
from tests.simulate_roi import Design, simulate_roi
from valueproof.config.account import ROI
from valueproof.config.kpis import KPI
from valueproof.data import Panel
from valueproof.stats import did
from valueproof.stats.results import UnitInfluence
from valueproof.value.roi import compute_roi
from valueproof.value.roi_range import total_range


@pytest.fixture(scope="module")
def support():
    import valueproof

    return valueproof.analyze(EXAMPLES / "support_copilot" / "experiment.yaml")


@pytest.fixture(scope="module")
def waves():
    import valueproof

    return valueproof.analyze(EXAMPLES / "team_waves" / "experiment.yaml")


def _cr2_scores(X: np.ndarray, y: np.ndarray, w: np.ndarray, unit: np.ndarray) -> dict:
    """Each unit's CR2 score c'M X_g' A_g e_g of the last coefficient, from the definitions
    with every dummy in the design (A_g = ((I - H)_gg)^-1/2 in the weighted space)."""
    root = np.sqrt(w)
    Xw, yw = X * root[:, None], y * root
    M = np.linalg.pinv(Xw.T @ Xw)
    e = yw - Xw @ (M @ Xw.T @ yw)
    I_H = np.eye(len(yw)) - Xw @ M @ Xw.T
    out = {}
    for u in np.unique(unit):
        rows = np.flatnonzero(unit == u)
        values, vectors = np.linalg.eigh(I_H[np.ix_(rows, rows)])
        inv_root = np.where(values > 1e-10, 1 / np.sqrt(np.maximum(values, 1e-300)), 0.0)
        A = vectors @ np.diag(inv_root) @ vectors.T
        out[int(u)] = float((M @ (Xw[rows].T @ A @ e[rows]))[-1])
    return out


def test_two_kpis_covariance_is_the_cr2_cross_product_of_the_definitions():
    """Two KPIs on the same units, with different cells missing and different weights: the
    covariance from the exposed influences equals sum_g of the two KPIs' CR2 scores computed
    from the full dummy-variable formulas, and each KPI's own variance is its squared SE."""
    rng = np.random.default_rng(5)
    G, T = 10, 6
    unit, period = np.repeat(np.arange(G), T), np.tile(np.arange(T), G)
    treated, post = unit < 4, period >= 3
    common = rng.normal(size=(G, T)).ravel()
    values = {k: rng.normal(size=G)[unit] + 0.7 * common + rng.normal(size=G * T)
              + 0.3 * (treated & post) for k in ("a", "b")}
    values["b"][rng.random(G * T) < 0.2] = np.nan  # b misses some cells a has
    counts = {k: rng.integers(1, 20, G * T) for k in ("a", "b")}
    panel = Panel(unit, [f"g{i}" for i in range(G)], treated, post, period.astype(np.int64),
                  values, counts)
    influences, scores = {}, {}
    for k in ("a", "b"):
        estimate = did.main_estimate(did.KPIData(panel, KPI(id=k, column=k, better="higher"), True), "cluster")
        codes, psi = estimate.influence
        influences[k] = UnitInfluence.scaled([panel.unit_names[c] for c in codes], psi,
                                             estimate.se)
        assert influences[k].values @ influences[k].values == pytest.approx(estimate.se**2,
                                                                            rel=1e-12)
        keep = ~np.isnan(values[k])
        X = np.column_stack([(unit[keep, None] == np.arange(G)[None, :]).astype(float),
                             (period[keep, None] == np.arange(1, T)[None, :]).astype(float),
                             (treated & post)[keep].astype(float)])
        scores[k] = _cr2_scores(X, values[k][keep], counts[k][keep].astype(float), unit[keep])
    by_unit = {k: dict(zip(v.units, v.values)) for k, v in influences.items()}
    ours = sum(by_unit["a"][u] * by_unit["b"].get(u, 0.0) for u in by_unit["a"])
    reference = sum(scores["a"][g] * scores["b"].get(g, 0.0) for g in scores["a"])
    assert ours == pytest.approx(reference, rel=1e-8)
    assert abs(ours) > 0.2 * np.sqrt(  # the KPIs do move together: the term matters
        (influences["a"].values ** 2).sum() * (influences["b"].values ** 2).sum())


@pytest.mark.parametrize("name", ["support", "waves"])
def test_influences_reproduce_every_kpis_reported_se(name, request):
    results = request.getfixturevalue(name)
    for kpi in results.kpis:
        psi = kpi.influence
        assert psi is not None and len(psi.units) == len(psi.values)
        assert psi.values @ psi.values == pytest.approx(kpi.se**2, rel=1e-12)
    units = {frozenset(k.influence.units) for k in results.kpis}
    assert len(units) == 1  # the same units in every KPI, by id


def test_cr1_influences_and_none_without_cluster_se(write_experiment):
    import valueproof

    cr1 = valueproof.analyze(write_experiment({"analysis": {"se": "cr1"}}))
    for kpi in cr1.kpis:
        assert kpi.influence.values @ kpi.influence.values == pytest.approx(kpi.se**2, rel=1e-12)
    iid = valueproof.analyze(write_experiment({"analysis": {"se": "iid"}}))
    assert all(k.influence is None for k in iid.kpis)


def _roi(benefits: list[dict]) -> ROI:
    return ROI.model_validate({"currency": "EUR", "costs": [{"label": "L", "amount": 1000,
                                                            "per": "month"}],
                               "benefits": benefits})


def test_one_benefit_range_is_its_kpis_own_interval(support):
    kpis = {k.id: k for k in support.kpis}
    kpi = kpis["handle_time"]  # lower is better
    result = compute_roi(_roi([{"kpi": "handle_time", "value_per_unit": 0.5, "volume": 100}]),
                         kpis, alpha=support.alpha)
    money = 0.5 * 100 * 12
    assert result.range_method == "own_interval" and result.level == 0.95
    assert result.benefit_low == pytest.approx(-kpi.effect_units_high * money)
    assert result.benefit_high == pytest.approx(-kpi.effect_units_low * money)
    assert result.benefit_conservative == result.benefit_low
    assert result.roi_conservative == result.roi_low == pytest.approx(
        (result.benefit_low - result.cost) / result.cost)


def test_joint_range_by_hand(support):
    """Var(total) = b' Sigma b with Sigma_jk = sum_g psi_jg psi_kg; t with the smallest df;
    a KPI that got worse (reopen rate) stays in with its sign."""
    kpis = {k.id: k for k in support.kpis}
    spec = [("handle_time", 0.75, 12000), ("fcr", 9.0, 12000), ("reopen_rate", 14.0, 12000)]
    result = compute_roi(_roi([{"kpi": k, "value_per_unit": v, "volume": n}
                               for k, v, n in spec]), kpis, alpha=0.05)
    units = sorted(set().union(*(kpis[k].influence.units for k, _, _ in spec)))
    psi = np.zeros((len(spec), len(units)))
    for row, (k, _, _) in enumerate(spec):
        where = {u: i for i, u in enumerate(units)}
        psi[row, [where[u] for u in kpis[k].influence.units]] = kpis[k].influence.values
    sigma = psi @ psi.T
    assert np.sqrt(np.diag(sigma)) == pytest.approx([kpis[k].se for k, _, _ in spec], rel=1e-12)
    b = np.array([(1 if kpis[k].better == "higher" else -1) * v * n * 12 for k, v, n in spec])
    se = float(np.sqrt(b @ sigma @ b))
    df = min(kpis[k].df for k, _, _ in spec)
    total = float(b @ [kpis[k].effect for k, _, _ in spec])
    assert kpis["reopen_rate"].verdict == "worsened" and b[2] * kpis["reopen_rate"].effect < 0
    assert result.range_method == "joint" and result.benefit_se == pytest.approx(se)
    assert result.range_df == df
    assert result.benefit == pytest.approx(total)
    half = stats.t.ppf(0.975, df) * se
    assert (result.benefit_low, result.benefit_high) == pytest.approx((total - half, total + half))
    # narrower than every benefit at an end of its own interval
    assert sum(line.total_low for line in result.benefits) < result.benefit_low


def test_log_kpi_enters_through_its_slope(support):
    """A log KPI's effect in KPI units is exp(m) - exp(m - effect): its influence enters the
    total times exp(m), the treated level (the counterfactual held as measured)."""
    kpi = support.kpi("handle_time")
    log = dataclasses.replace(kpi, transform="log", level=8.0, effect=-0.2)
    other = support.kpi("fcr")
    result = total_range([(log, 2.0), (other, 3.0)], 0.05)
    combined = {u: 2.0 * 8.0 * v for u, v in zip(log.influence.units, log.influence.values)}
    for u, v in zip(other.influence.units, other.influence.values):
        combined[u] = combined.get(u, 0.0) + 3.0 * v
    assert result.se == pytest.approx(np.sqrt(sum(v * v for v in combined.values())))


def _few_treated(write_experiment, kpis: list[dict]):
    import valueproof

    frame = panel_frame(n_treated=3, n_control=12, seed=3)
    frame["minutes2"] = frame["minutes"] * 0.5 + np.random.default_rng(1).normal(0, 1, len(frame))
    frame["tickets"] = 1 + (frame.index % 7)
    roi = {"currency": "EUR", "costs": [{"label": "L", "amount": 100, "per": "month"}],
           "benefits": [{"kpi": k["id"], "value_per_unit": 1.0, "volume": 1000} for k in kpis]}
    return valueproof.analyze(write_experiment({"kpis": kpis, "roi": roi}, frame=frame))


def test_few_treated_units_use_the_randomization_test_of_the_total(write_experiment):
    """3 treated units: the permutation test leads. Two mean KPIs weighing their cells alike
    share the test's assignments and shifts, so the total has its own exact randomization
    interval; with a rate beside them Bonferroni's rule joins each at 1 - alpha/2."""
    means = [{"id": "minutes", "column": "minutes", "better": "lower"},
             {"id": "minutes2", "column": "minutes2", "better": "lower"}]
    results = _few_treated(write_experiment, means)
    assert {k.inference for k in results.kpis} == {"permutation"}
    roi = results.roi
    assert roi.range_method == "randomization" and roi.level == 0.95
    assert roi.benefit_low < roi.benefit < roi.benefit_high
    width = roi.benefit_high - roi.benefit_low
    assert width < sum(b.total_high - b.total_low for b in roi.benefits)
    mixed = _few_treated(write_experiment, means[:1] + [
        {"id": "resolved", "numerator": "resolved", "denominator": "tickets",
         "aggregate": "rate", "better": "higher"}])
    roi = mixed.roi
    assert roi.range_method == "bonferroni" and roi.each_level == pytest.approx(0.975)
    assert roi.level == 0.95  # a lower bound: the page says "at least"


def test_results_json_states_the_level_and_leaves_the_influences_out(support, waves):
    for results in (support, waves):
        data = results.to_dict()
        text = json.dumps(data, allow_nan=False)
        assert "influence" not in text and "randomization" not in text
        roi = data["roi"]
        assert roi["level"] == 1 - results.alpha and roi["range_method"] == "joint"
        assert roi["benefit_conservative"] == roi["benefit_low"]
        assert roi["roi_conservative"] == roi["roi_low"]
        assert roi["roi_low"] < roi["roi"] < roi["roi_high"]


def test_realised_benefit_counts_each_wave_from_its_own_rollout(waves):
    """Each unit counts from its own rollout date (waves.csv) to the end of the measured
    period; the tool counts each wave from its first rollout, so it may exceed the unit-by-unit
    figure by no more than a day per unit."""
    rollout = pd.read_csv(EXAMPLES / "team_waves" / "data" / "waves.csv").dropna()
    start, end = (dt.date.fromisoformat(waves.post[s]) for s in ("start", "end"))
    days = (end - start).days + 1
    own = [(end - max(dt.date.fromisoformat(d), start)).days + 1 for d in rollout["rollout"]]
    share = sum(own) / (len(own) * days)
    realised = waves.roi.realised
    per_month = sum(b.monthly for b in waves.roi.benefits)
    expected = per_month * realised["months"] * share
    assert realised["benefit"] == pytest.approx(expected, rel=len(own) / sum(own))
    assert realised["benefit"] >= expected
    assert realised["benefit"] < 0.8 * per_month * realised["months"]  # not every unit all along
    low, high = waves.roi.benefit_low, waves.roi.benefit_high
    months = realised["months"] * realised["with_product"] / waves.roi.horizon_months
    assert (realised["benefit_low"], realised["benefit_high"]) == pytest.approx(
        (low * months, high * months))


@pytest.mark.parametrize("locale", ["en", "de", "es", "fr", "pl", "sk", "tr", "ar"])
def test_every_language_states_the_level_and_the_jsons_figures(waves, locale):
    from valueproof.report import roi_words
    from valueproof.language.words import Words
    from valueproof.language.formatting import Formatter
    from valueproof.language.i18n import locales_dir, translations

    words = Words(translations(locales_dir(), locale), Formatter(locale))
    percent = lambda v: words.fmt.percent(v, sig=3 if abs(v) >= 1 else 2)  # noqa: E731
    roi = waves.roi
    text = roi_words.range_text(words, roi, percent)
    level = words.fmt.percent_fixed(roi.level, 0)
    for figure in (percent(roi.roi_low), percent(roi.roi_high), level):
        assert figure in text
    assert level in roi_words.range_note(words, roi)
    if locale != "en":
        assert "likely range" not in text and "confidence" not in text  # translated
    bonferroni = dataclasses.replace(roi, range_method="bonferroni", each_level=0.975)
    assert level in roi_words.range_text(words, bonferroni, percent)
    assert words.fmt.percent_fixed(0.975, 1) in roi_words.range_note(words, bonferroni)


@pytest.mark.parametrize("design", [
    Design("2 benefits, independent", 2, 0.0),
    Design("5 benefits, correlated, one a rate", 5, 0.6, rate=True),
])
def test_range_covers_the_true_total_about_95_percent(design):
    """A short calibration (the long one: benchmarks/calibration.py --only roi)."""
    n = 200
    row = simulate_roi(design, n, np.random.default_rng(11))
    assert row["method"] == "joint"
    assert 0.95 - 3.3 * np.sqrt(0.95 * 0.05 / n) <= row["coverage"] <= 0.99, row
    assert row["old"] >= row["coverage"] and row["width"] < 0.8  # the old range: too wide
