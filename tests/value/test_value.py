"""Success criteria and ROI: hand-computed examples, every status, validation."""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest

from tests.conftest import EXAMPLES, invoke, panel_frame
from valueproof.config.account import ROI
from valueproof.config.kpis import Criterion
from valueproof.stats.results import EventPoint, KPIResult, PreTrend, Robustness
from valueproof.value.criteria import STATUSES, direction_warnings, score_criterion
from valueproof.value.roi import compute_roi


def kpi_result(effect=-2.0, low=-3.0, high=-1.0, better="lower", verdict="improved",
               relative=(-0.2, -0.3, -0.1), level=(8.0, 7.5, 8.5), kpi_id="aht",
               transform="none", units=None, trend=None) -> KPIResult:
    units = units or (effect, low, high)
    return KPIResult(
        id=kpi_id, label=kpi_id, unit="min", better=better, aggregate="mean", transform=transform,
        estimand="per_observation",
        method="did", inference="model", n_units={"treatment": 20, "control": 20}, n_obs=100,
        n_cells=80, means={}, effect=effect, se=0.5, df=39, ci_low=low, ci_high=high,
        p_value=0.01, p_adjusted=0.01, relative_effect=relative[0], relative_ci_low=relative[1],
        relative_ci_high=relative[2], significant=verdict != "inconclusive",
        improved=verdict == "improved", verdict=verdict, mde=1.4,
        pre_trend=PreTrend("not_detected", 0.5, 1.0, (3, 36), 3),
        robustness=Robustness(0.01, 0.01, 0.01, 2000, False, {}),
        event_study=[EventPoint(f"w{i}", True, c, c - 1, c + 1) for i, c in enumerate(trend or [])],
        trend=[],
        effect_units=units[0], effect_units_low=units[1], effect_units_high=units[2],
        level=level[0], level_low=level[1], level_high=level[2])


def roi(**changes) -> ROI:
    base = {"currency": "EUR", "horizon_months": 12,
            "costs": [{"label": "Licence", "amount": 1000, "per": "month"},
                      {"label": "Setup", "amount": 6000, "once": True}],
            "benefits": [{"kpi": "aht", "value_per_unit": 0.5, "volume": 10000, "per": "month"}]}
    base.update(changes)
    return ROI.model_validate(base)


def test_shown_totals_add_up():
    from valueproof.value.roi import shown_totals

    assert shown_totals(230_412, 42_480) == (230_000, 42_000, 188_000)
    assert shown_totals(1_234.6, 99.4) == (1_230, 100, 1_130)
    benefit, cost, net = shown_totals(-5_555, 20_000)
    assert benefit - cost == net == -25_600


def test_roi_by_hand_recurring_and_one_off_costs():
    result = compute_roi(roi(), {"aht": kpi_result()})
    # 2 minutes saved x 10,000 tickets x 0.5 EUR x 12 months
    assert result.benefit == pytest.approx(120_000)
    assert result.cost == pytest.approx(12 * 1000 + 6000)
    assert result.net == pytest.approx(102_000)
    assert result.roi == pytest.approx(102_000 / 18_000)
    # the range uses the CI: 1 and 3 minutes saved
    assert result.roi_low == pytest.approx((60_000 - 18_000) / 18_000)
    assert result.roi_high == pytest.approx((180_000 - 18_000) / 18_000)
    # payback: the one-off 6,000 over a monthly net of 10,000 - 1,000
    assert result.payback_months == pytest.approx(6000 / 9000)
    assert result.ratio == pytest.approx(120_000 / 18_000)  # back for every 1 spent
    # the measured quarter on its own: 3 months of benefit against 3 months of licence + setup
    measured = compute_roi(roi(), {"aht": kpi_result()}, (dt.date(2026, 7, 1), dt.date(2026, 9, 30)))
    months = 92 / (365.25 / 12)
    assert measured.realised["benefit"] == pytest.approx(10_000 * months)
    assert measured.realised["cost"] == pytest.approx(1000 * months + 6000)


def test_roi_weekly_volume_and_yearly_cost():
    spec = roi(costs=[{"label": "Licence", "amount": 5200, "per": "year"}],
               benefits=[{"kpi": "aht", "value_per_unit": 1, "volume": 100, "per": "week"}])
    result = compute_roi(spec, {"aht": kpi_result()})
    assert result.benefit == pytest.approx(2 * 100 * 365.25 / 7)  # 12 months of weeks
    assert result.cost == pytest.approx(5200)
    assert result.payback_months == 0  # no one-off cost


def test_a_kpi_that_got_worse_is_a_negative_benefit():
    worse = kpi_result(effect=0.05, low=0.03, high=0.07, kpi_id="reopen", verdict="worsened")
    spec = roi(benefits=[{"kpi": "aht", "value_per_unit": 0.5, "volume": 10000},
                         {"kpi": "reopen", "value_per_unit": 10, "volume": 10000}])
    result = compute_roi(spec, {"aht": kpi_result(), "reopen": worse})
    reopen = result.benefits[1]
    assert reopen.total == pytest.approx(-0.05 * 10000 * 10 * 12)
    assert reopen.total_low == pytest.approx(-0.07 * 10000 * 10 * 12)
    assert result.benefit == pytest.approx(120_000 - 60_000)


def test_conservative_roi_is_the_lower_end_of_the_range():
    unsure = kpi_result(effect=-1.0, low=-2.5, high=0.5, verdict="inconclusive", kpi_id="x")
    spec = roi(benefits=[{"kpi": "aht", "value_per_unit": 0.5, "volume": 10000},
                         {"kpi": "x", "value_per_unit": 1, "volume": 1000}])
    result = compute_roi(spec, {"aht": kpi_result(), "x": unsure})
    assert result.benefit == pytest.approx(120_000 + 12_000)
    assert result.benefit_conservative == result.benefit_low < result.benefit
    assert result.roi_conservative == result.roi_low < result.roi


def test_benefit_on_a_log_kpi_uses_the_effect_in_kpi_units():
    # -0.1 log points on a counterfactual 40-day cycle: 40 * (exp(-0.1) - 1) = -3.806 days
    days = 40 * math.expm1(-0.1)
    cycle = kpi_result(effect=-0.1, low=-0.15, high=-0.05, transform="log", kpi_id="cycle",
                       units=(days, 40 * math.expm1(-0.15), 40 * math.expm1(-0.05)))
    spec = roi(benefits=[{"kpi": "cycle", "value_per_unit": 100, "volume": 10, "per": "month"}],
               costs=[{"label": "L", "amount": 100, "per": "month"}])
    result = compute_roi(spec, {"cycle": cycle})
    assert result.benefit == pytest.approx(-days * 10 * 100 * 12)
    assert result.benefit_low == pytest.approx(-40 * math.expm1(-0.05) * 10 * 100 * 12)


def test_never_pays_back_when_monthly_net_is_negative():
    spec = roi(costs=[{"label": "L", "amount": 50_000, "per": "month"},
                      {"label": "S", "amount": 1, "once": True}])
    assert compute_roi(spec, {"aht": kpi_result()}).payback_months is None


AS_OF = dt.date(2026, 9, 30)


def criterion(**fields) -> Criterion:
    return Criterion.model_validate({"kpi": "aht", **fields})


STEEPENING = [-0.5, -1.0, -1.5, -2.0, -2.5]  # the effect grows 0.5 min a week
FLAT = [-2.0, -2.1, -1.9, -2.0, -2.0]


@pytest.mark.parametrize("spec, kpi, status, confident", [
    # achieved only with the interval's bound past the target (lower is better: the upper end)
    ({"target": "-15%"}, kpi_result(), "reached_unconfirmed", False),
    ({"target": "-5%"}, kpi_result(), "achieved", True),
    ({"target": -1.5}, kpi_result(), "reached_unconfirmed", False),
    ({"level": 8.6}, kpi_result(), "achieved", True),
    # before the deadline: on track only when the trend reaches the target in time
    ({"target": "-40%", "by": "2026-12-31"}, kpi_result(trend=STEEPENING), "on_track", False),
    ({"target": "-40%", "by": "2026-12-31"}, kpi_result(trend=FLAT), "at_risk", False),
    ({"target": "-40%", "by": "2026-10-07"}, kpi_result(trend=STEEPENING), "at_risk", False),
    ({"target": "-40%", "by": "2026-12-31"}, kpi_result(), "at_risk", False),
    ({"target": "-10%", "by": "2026-12-31"},
     kpi_result(effect=1, low=0.5, high=1.5, verdict="worsened", relative=(0.1, 0.05, 0.15)),
     "at_risk", False),
    # past the deadline: achieved or not achieved, nothing else
    ({"target": "-40%", "by": "2026-09-01"}, kpi_result(trend=STEEPENING), "not_achieved", False),
    ({"target": "-10%"}, kpi_result(effect=1, low=0.5, high=1.5, verdict="worsened",
                                    relative=(0.1, 0.05, 0.15)), "not_achieved", False),
    ({"target": "-10%", "by": "2026-09-01"},
     kpi_result(effect=-0.5, low=-1.5, high=0.5, verdict="inconclusive",
                relative=(-0.05, -0.15, 0.05)), "not_achieved", False),
    # no deadline: nothing to settle or project to
    ({"target": "-10%"}, kpi_result(effect=-0.5, low=-1.5, high=0.5, verdict="inconclusive",
                                    relative=(-0.05, -0.15, 0.05)), "inconclusive", False),
    ({"target": "-25%"}, kpi_result(verdict="inconclusive", relative=(-0.2, -0.3, -0.1)),
     "inconclusive", False),
    ({"target": "-10%", "by": "2027-01-01"},
     kpi_result(effect=-0.5, low=-1.5, high=0.5, verdict="inconclusive",
                relative=(-0.05, -0.15, 0.05)), "inconclusive", False),
    ({"target": "-25%", "by": "2027-01-01"},
     kpi_result(verdict="inconclusive", relative=(-0.2, -0.3, -0.1)), "inconclusive", False),
])
def test_every_status_is_reachable(spec, kpi, status, confident):
    result = score_criterion(criterion(**spec), kpi, AS_OF)
    assert result.status in STATUSES
    assert result.status == status, result.reason
    assert result.with_confidence is confident


def test_progress_and_projection():
    """-2 min is 20% of a -40% target... as a share: measured / target; the steepening trend
    (0.5 min a week) carried 13 weeks to the deadline."""
    result = score_criterion(criterion(target="-40%", by="2026-12-30"),
                             kpi_result(trend=STEEPENING), AS_OF)
    assert result.progress == pytest.approx(0.5)  # -20% of -40%
    weeks = (dt.date(2026, 12, 30) - AS_OF).days / 7
    counterfactual = 8.0 - (-2.0)
    assert result.projected == pytest.approx(-0.2 - 0.5 * weeks / counterfactual)


def test_goal_due_before_the_report_date_is_settled(runner, tmp_path):
    """The scorecard is judged at the report date: a goal due 30 Sep in a report dated
    12 Oct is achieved or not achieved, never on track."""
    import shutil

    import yaml

    folder = tmp_path / "support"
    shutil.copytree(EXAMPLES / "support_copilot", folder)
    path = folder / "experiment.yaml"
    definition = yaml.safe_load(path.read_text())
    definition["report_date"] = dt.date(2026, 10, 12)
    definition.pop("as_of", None)
    for goal in definition["success_criteria"]:
        goal["by"] = dt.date(2026, 9, 30)
    path.write_text(yaml.safe_dump(definition, allow_unicode=True))
    out = tmp_path / "r.json"
    assert invoke(runner, "analyze", path, "--json", out).exit_code == 0
    data = json.loads(out.read_text())
    assert {c["status"] for c in data["criteria"]} <= {"achieved", "not_achieved"}
    assert all(c["as_of"] == "2026-10-12" and c["deadline_passed"] for c in data["criteria"])


def test_target_in_the_wrong_direction_warns(write_experiment):
    from valueproof.config import load_experiment

    path = write_experiment({"success_criteria": [{"kpi": "minutes", "target": "15%"}]})
    warnings = direction_warnings(load_experiment(path))
    assert warnings and "target +15% on a KPI where lower is better" in warnings[0]


def test_analyze_prints_scorecard_and_roi(runner, tmp_path):
    out = tmp_path / "r.json"
    result = invoke(runner, "analyze", EXAMPLES / "support_copilot", "--json", out)
    assert result.exit_code == 0, result.output
    assert "Success criteria" in result.output and "ROI over 12 months" in result.output
    output = " ".join(result.output.split())
    # ROI as a percentage with the plain ratio, the projection apart from the measured period
    # the same figures and words as the PDF's (its formatter): money with its symbol, the range
    # with its level, the payback as page 2 words it
    assert "ROI over 12 months: 433% (€5.33 back for every €1 spent" in output
    assert "likely range 301% to 565% with 95% confidence, its lower end the conservative" in output
    assert "projected benefit €226,000, cost €42,000, net €184,000; payback within the first " \
        "month" in output
    assert "measured 2026-07-01 – 2026-09-30" in output and "×" not in output
    data = json.loads(out.read_text())
    statuses = {c["kpi"]: c["status"] for c in data["criteria"]}
    # fcr improved significantly, but at its trend it would not reach +10 points by 31 Dec
    assert statuses == {"handle_time": "achieved", "fcr": "at_risk", "csat": "not_achieved",
                        "reopen_rate": "not_achieved"}
    assert {"currency", "benefit", "cost", "roi", "roi_low", "roi_high",
            "payback_months"} <= set(data["roi"])
    assert data["roi"]["roi_low"] > 0 < data["roi"]["roi"]
    assert data["criteria"][0]["target"] == -0.15
    # one plan entry per KPI, its open goals under it (fcr improved, but its goal is at risk)
    plan = {p["kpi"]: p for p in data["improvement_plan"]}
    assert list(plan) == ["reopen_rate", "fcr", "csat"]  # worse first, inconclusive last
    assert [g["status"] for g in plan["reopen_rate"]["goals"]] == ["not_achieved"]
    assert plan["fcr"]["default_action"] == "short_of_target"
    assert data["next_quarter"][1]["goal"].startswith("Bring the reopen rate")


def test_sales_example_has_a_mix_and_positive_roi(runner, tmp_path):
    out = tmp_path / "r.json"
    assert invoke(runner, "analyze", EXAMPLES / "sales_rollout", "--json", out).exit_code == 0
    data = json.loads(out.read_text())
    # judged at the report date (12 Oct): the goals due 30 Jun and 30 Sep are settled; deals
    # touched is +12.8% against +10%, its interval's lower end short of it: not yet confirmed
    assert [c["status"] for c in data["criteria"]] == ["not_achieved", "not_achieved",
                                                       "reached_unconfirmed"]
    assert data["roi"]["currency"] == "PLN" and data["roi"]["roi_low"] > 0


def test_no_roi_and_no_criteria_without_those_keys(write_experiment):
    import valueproof

    results = valueproof.analyze(write_experiment(frame=panel_frame()))
    assert results.roi is None and results.criteria == []
    assert results.to_dict()["roi"] is None


def test_inconclusive_beside_an_interval_excluding_zero_says_why():
    """Several KPIs: the unadjusted interval excludes zero, the adjusted p does not pass."""
    import dataclasses
    from types import SimpleNamespace

    from gettext import NullTranslations

    from valueproof.language.words import Words
    from valueproof.report.sentences import adjusted_note
    from valueproof.language.formatting import Formatter

    words = Words(NullTranslations(), Formatter("en"))
    kpi = dataclasses.replace(kpi_result(verdict="inconclusive"), p_value=0.03, p_adjusted=0.09)
    results = SimpleNamespace(kpis=[kpi, kpi, kpi], alpha=0.05)
    sentence = adjusted_note(words, kpi, results)  # in the KPI's detail box
    assert "excludes zero" in sentence and "3 KPIs" in sentence and "0.090" in sentence
    plain = dataclasses.replace(kpi, ci_low=-3.0, ci_high=0.5)
    assert adjusted_note(words, plain, results) is None
