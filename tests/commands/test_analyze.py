"""`valueproof analyze` end to end: examples, results JSON, special designs, bad input."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

import valueproof
from tests.conftest import EXAMPLES, invoke, panel_frame
from valueproof.stats.permutation import permutation_pvalues

DESIGN_KPI_FIELDS = {"id", "method", "n_units", "n_obs", "means", "effect", "se", "ci_low",
                     "ci_high", "p_value", "p_adjusted", "relative_effect", "relative_ci_low",
                     "relative_ci_high", "significant", "improved", "pre_trend", "robustness"}


@pytest.fixture(scope="module")
def support():
    return valueproof.analyze(EXAMPLES / "support_copilot" / "experiment.yaml")


@pytest.fixture(scope="module")
def sales():
    return valueproof.analyze(EXAMPLES / "sales_rollout" / "experiment.yaml")


def _inside(kpi, truth):
    return kpi.ci_low <= truth <= kpi.ci_high


def test_support_example_recovers_true_effects(support):
    # True effects are written in examples/support_copilot/generate_data.py.
    assert _inside(support.kpi("handle_time"), -2.4)
    assert _inside(support.kpi("fcr"), 0.06)
    assert _inside(support.kpi("csat"), 0.0)
    assert _inside(support.kpi("reopen_rate"), 0.05)
    verdicts = {k.id: k.verdict for k in support.kpis}
    assert verdicts == {"handle_time": "improved", "fcr": "improved", "csat": "inconclusive",
                        "reopen_rate": "worsened"}


def test_sales_example_recovers_true_effects(sales):
    assert _inside(sales.kpi("win_rate"), 0.05)
    assert _inside(sales.kpi("deals_touched"), 1.5)
    # -6 days on a ~46-day cycle is about -14%, in log points log(40/46)
    assert _inside(sales.kpi("cycle_days"), np.log(40 / 46))
    assert all(k.improved for k in sales.kpis)


def test_results_json_has_the_design_fields(runner, tmp_path):
    out = tmp_path / "results.json"
    result = invoke(runner, "analyze", EXAMPLES / "sales_rollout" / "experiment.yaml", "--json", out)
    assert result.exit_code == 0, result.output
    assert "Skuteczność ofert" in result.output and "improved" in result.output
    data = json.loads(out.read_text())
    assert {"valueproof_version", "experiment", "design", "alpha", "se", "correction", "kpis",
            "warnings"} <= set(data)
    for kpi in data["kpis"]:
        assert DESIGN_KPI_FIELDS <= set(kpi)
        assert set(kpi["means"]) == {"treatment_pre", "treatment_post", "control_pre",
                                     "control_post"}
        assert {"p_value", "status", "test", "detectable_trend"} <= set(kpi["pre_trend"])
        assert {"welch_p", "rank_p", "permutation_p"} <= set(kpi["robustness"])
        assert kpi["p_adjusted"] >= kpi["p_value"]


def test_to_frame_has_one_row_per_kpi(support):
    frame = support.to_frame()
    assert list(frame.index) == ["handle_time", "fcr", "csat", "reopen_rate"]
    assert frame.loc["reopen_rate", "verdict"] == "worsened"


def test_inconclusive_is_not_called_no_effect(support):
    csat = support.kpi("csat")
    assert not csat.significant and csat.verdict == "inconclusive"
    assert csat.mde > abs(csat.effect)


def test_bad_input_gives_exit_2_and_no_json(runner, write_experiment, tmp_path):
    path = write_experiment({"groups": {"treatment": "nobody"}})
    out = tmp_path / "results.json"
    result = invoke(runner, "analyze", path, "--json", out)
    assert result.exit_code == 2 and "groups.treatment" in result.output
    assert not out.exists()


def test_existing_json_survives_a_failed_run(runner, write_experiment, tmp_path):
    out = tmp_path / "results.json"
    out.write_text("previous results")
    path = write_experiment({"kpis": [{"id": "m", "column": "nope", "better": "lower"}]})
    assert invoke(runner, "analyze", path, "--json", out).exit_code == 2
    assert out.read_text() == "previous results"


def test_constant_kpi_is_a_clear_error(runner, write_experiment):
    frame = panel_frame().assign(minutes=5.0)
    result = invoke(runner, "analyze", write_experiment(frame=frame))
    assert result.exit_code == 2 and "has no variance" in result.output


def test_log_transform_needs_positive_values(runner, write_experiment):
    frame = panel_frame().assign(minutes=lambda f: f.minutes - 20)
    path = write_experiment({"kpis": [{"id": "m", "column": "minutes", "better": "lower",
                                       "transform": "log"}]}, frame=frame)
    result = invoke(runner, "analyze", path)
    assert result.exit_code == 2 and "needs positive values" in result.output


def test_without_control_group_is_a_labelled_pre_post(write_experiment):
    path = write_experiment({"groups": {"control": None}})
    text = path.read_text().replace("  control: null\n", "")
    path.write_text(text)
    results = valueproof.analyze(path)
    assert results.method == "pre_post"
    kpi = results.kpi("minutes")
    assert kpi.method == "pre_post" and set(kpi.means) == {"treatment_pre", "treatment_post"}
    assert kpi.pre_trend.status == "not_testable"
    assert any("no control group" in w for w in results.warnings)
    assert kpi.ci_low <= -1.0 <= kpi.ci_high  # the fixture's true effect on treated units


def test_single_treated_unit_leads_with_permutation(write_experiment):
    results = valueproof.analyze(write_experiment(frame=panel_frame(n_treated=1, n_control=9,
                                                                    effect=-3.0)))
    kpi = results.kpi("minutes")
    assert kpi.inference == "permutation"
    assert kpi.p_value == kpi.robustness.permutation_p
    assert kpi.robustness.exact and kpi.robustness.permutations == 10
    assert any("only one treated unit" in w for w in kpi.warnings)


def test_exact_permutation_matches_brute_force():
    rng = np.random.default_rng(0)
    units = 8
    sums = rng.normal(size=(units, 4))
    sums[:, 1] = sums[:, 3] = rng.integers(1, 4, units)  # counts
    treated = np.array([True] * 3 + [False] * 5)

    def did(assign):
        t, c = sums[assign].sum(0), sums[~assign].sum(0)
        return (t[2] / t[3] - t[0] / t[1]) - (c[2] / c[3] - c[0] / c[1])

    observed = did(treated)
    stats = [did(np.isin(np.arange(units), combo))
             for combo in itertools.combinations(range(units), 3)]
    expected = np.mean(np.abs(stats) >= abs(observed) - 1e-12)
    p_values, used, exact = permutation_pvalues([sums], treated, 2000, seed=1)
    assert exact and used == 56
    assert p_values[0] == pytest.approx(expected)


def test_random_permutation_is_seeded_and_valid(write_experiment):
    frame = panel_frame(n_treated=15, n_control=15, effect=0.0)
    first = valueproof.analyze(write_experiment(frame=frame)).kpi("minutes").robustness
    second = valueproof.analyze(write_experiment(frame=frame)).kpi("minutes").robustness
    assert not first.exact and first.permutations == 2000
    assert first.permutation_p == second.permutation_p
    assert 1 / 2001 <= first.permutation_p <= 1


def test_repeated_cross_section_end_to_end(write_experiment):
    frame = panel_frame(rows_per_week=1, effect=-2.0)
    frame["unit"] = [f"P{i}" for i in range(len(frame))]
    results = valueproof.analyze(write_experiment(frame=frame))
    assert results.design == "cross_section"
    kpi = results.kpi("minutes")
    assert kpi.robustness.welch_p is None  # no unit is seen before and after
    assert kpi.ci_low <= -2.0 <= kpi.ci_high


def test_integer_periods_end_to_end(write_experiment):
    frame = panel_frame(rows_per_week=1, effect=-2.0)
    frame["day"] = frame.groupby("unit").cumcount() + 1
    results = valueproof.analyze(write_experiment({"rollout": 5, "pre": None}, frame=frame))
    kpi = results.kpi("minutes")
    assert kpi.pre_trend.status in ("not_detected", "detected")
    assert [p.period for p in kpi.event_study] == [str(i) for i in range(1, 9)]


def test_output_files_get_ordinary_permissions(runner, tmp_path):
    import os
    import stat

    out = tmp_path / "results.json"
    assert invoke(runner, "analyze", EXAMPLES / "sales_rollout", "--json", out).exit_code == 0
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~mask


def test_kpi_warnings_are_also_listed_at_the_top(support):
    csat = support.kpi("csat")
    assert any("no value" in w for w in csat.warnings)
    assert any("KPI 'csat'" in w for w in support.warnings)
