"""A goal is achieved only when the interval's bound on the side away from the goal is past the
target (non-inferiority logic); an estimate past the target with its bound short of it is
"reached, not yet confirmed", never counted as achieved: the rule on hand-made KPIs, a seeded
calibration, the plan's default step, page 2 in every language, the terminal and the batch
summary."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import shutil
from gettext import NullTranslations

import numpy as np
import pytest
import yaml

from tests.conftest import EXAMPLES, invoke
from tests.simulate_goals import GoalDesign, goal_statuses
from tests.value.test_value import AS_OF, FLAT, STEEPENING, criterion, kpi_result
from valueproof.value.criteria import STATUSES, score_criterion
from valueproof.value.plan import improvement_plan

LANGUAGES = ("en", "ar", "de", "es", "fr", "pl", "sk", "tr")
AHEAD, PASSED = "2026-12-31", "2026-09-01"


# -- the rule -----------------------------------------------------------------------------------

@pytest.mark.parametrize("spec, kpi, status", [
    # lower is better, relative target -15%: estimate -20%, interval -30% .. -10%
    ({"target": "-15%"}, kpi_result(), "reached_unconfirmed"),
    ({"target": "-10%"}, kpi_result(), "achieved"),  # the bound -10% is on the target
    ({"target": "-9%"}, kpi_result(), "achieved"),
    ({"target": "-21%"}, kpi_result(), "inconclusive"),  # not reached, no deadline
    # absolute target in KPI units: estimate -2, interval -3 .. -1
    ({"target": -1.5}, kpi_result(), "reached_unconfirmed"),
    ({"target": -0.5}, kpi_result(), "achieved"),
    # a level: the treated group's level 8.0, interval 7.5 .. 8.5
    ({"level": 8.2}, kpi_result(), "reached_unconfirmed"),
    ({"level": 8.6}, kpi_result(), "achieved"),
    # higher is better: the lower bound decides
    ({"target": "+15%"}, kpi_result(effect=2, low=1, high=3, better="higher",
                                     relative=(0.2, 0.1, 0.3)), "reached_unconfirmed"),
    ({"target": "+10%"}, kpi_result(effect=2, low=1, high=3, better="higher",
                                     relative=(0.2, 0.1, 0.3)), "achieved"),
    ({"target": 1.5}, kpi_result(effect=2, low=1, high=3, better="higher",
                                  relative=(0.2, 0.1, 0.3)), "reached_unconfirmed"),
    # the same before and past the deadline: reached is not achieved, and not "not achieved"
    ({"target": "-15%", "by": AHEAD}, kpi_result(trend=STEEPENING), "reached_unconfirmed"),
    ({"target": "-15%", "by": PASSED}, kpi_result(trend=FLAT), "reached_unconfirmed"),
    ({"target": "-5%", "by": PASSED}, kpi_result(), "achieved"),
    # before the deadline the former rules stand for goals not reached
    ({"target": "-40%", "by": AHEAD}, kpi_result(trend=STEEPENING), "on_track"),
    ({"target": "-40%", "by": AHEAD}, kpi_result(trend=FLAT), "at_risk"),
    ({"target": "-40%", "by": PASSED}, kpi_result(trend=FLAT), "not_achieved"),
])
def test_achieved_needs_the_bound_past_the_target(spec, kpi, status):
    result = score_criterion(criterion(**spec), kpi, AS_OF)
    assert result.status in STATUSES
    assert result.status == status, result.reason
    assert result.with_confidence is (status == "achieved")
    assert result.reached is (status in ("achieved", "reached_unconfirmed"))


def test_an_unbounded_or_missing_interval_confirms_nothing():
    unbounded = kpi_result(low=float("-inf"), high=float("inf"), relative=(-0.2, None, None))
    for spec in ({"target": "-5%"}, {"target": -0.5}):
        result = score_criterion(criterion(**spec), unbounded, AS_OF)
        assert result.status == "reached_unconfirmed" and not result.bound_beyond


def test_an_improvement_target_also_needs_significance_after_the_adjustment():
    """The interval alone is past -5%, but with several KPIs the adjusted p-value is not below
    alpha: the page calls the KPI inconclusive, so the goal is not confirmed either."""
    kpi = dataclasses.replace(kpi_result(verdict="inconclusive"), p_adjusted=0.09)
    result = score_criterion(criterion(target="-5%"), kpi, AS_OF)
    assert result.status == "reached_unconfirmed" and result.bound_beyond
    assert "adjustment" in result.reason


def test_a_margin_the_kpi_may_not_cross_is_judged_by_the_bound_alone():
    """'Reopen rate up at most 10%' (lower is better, target +10%): a significant rise of 3%
    whose interval ends at +6% keeps within the margin; one ending at +12% is not confirmed."""
    within = kpi_result(effect=0.3, low=0.1, high=0.5, verdict="worsened",
                        relative=(0.03, 0.01, 0.06))
    assert score_criterion(criterion(target="+10%"), within, AS_OF).status == "achieved"
    across = dataclasses.replace(within, relative_ci_high=0.12)
    assert score_criterion(criterion(target="+10%"), across, AS_OF).status == "reached_unconfirmed"


# -- calibration (benchmarks/calibration.py --only criteria has the long version) ---------------

def test_a_goal_missed_by_20_percent_is_rarely_achieved_and_twice_the_target_usually_is():
    """20 pilot units against 20, AR(1) rho 0.8, a target of +1.5 (about 3.3 standard errors),
    200 seeded simulations each: truly 20% short, the former rule said achieved about a quarter
    of the time; now at most 5%. Twice the target: achieved at least 80% of the time."""
    design = GoalDesign(20, 20, 1.5)
    short = goal_statuses(design, 0.8, 200, np.random.default_rng(20260923))
    assert short.get("achieved", 0) <= 0.05
    assert short["old_rule"] >= 0.15  # the point-estimate rule the audit measured (26%)
    double = goal_statuses(design, 2.0, 200, np.random.default_rng(20260924))
    assert double["achieved"] >= 0.80
    relative = GoalDesign(20, 20, -0.075, relative=True, better="lower")
    assert goal_statuses(relative, 0.8, 200,
                         np.random.default_rng(20260925)).get("achieved", 0) <= 0.05


# -- the plan -----------------------------------------------------------------------------------

def _experiment(kpis: list[str]):
    from valueproof.config.schema import Experiment

    return Experiment.model_validate({
        "name": "plan", "data": {"path": "x.csv", "unit": "u", "time": "t"},
        "groups": {"column": "g", "treatment": "T", "control": "C"}, "rollout": "2026-07-01",
        "kpis": [{"id": k, "column": k, "better": "lower"} for k in kpis]})


def test_a_goal_awaiting_confirmation_gets_gather_more_evidence_after_the_real_gaps():
    reached = kpi_result(kpi_id="aht")
    short = kpi_result(kpi_id="fcr")
    goals = [score_criterion(criterion(kpi="aht", target="-15%"), reached, AS_OF),
             score_criterion(criterion(kpi="fcr", target="-40%", by=PASSED), short, AS_OF)]
    assert [g.status for g in goals] == ["reached_unconfirmed", "not_achieved"]
    adoption = type("Adoption", (), {"utilisation": 0.3, "active_users": 3, "licences": 10,
                                     "training": None})()
    plan = improvement_plan(_experiment(["aht", "fcr"]), [reached, short], goals, adoption)
    assert [(p.kpi, p.default_action) for p in plan] == [("fcr", "drive_adoption"),
                                                         ("aht", "confirm_goal")]
    assert plan[1].goals[0].status == "reached_unconfirmed" and plan[1].reasons == []


# -- what readers see ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def unconfirmed(tmp_path_factory):
    """The support example with its handle-time goal raised to -20%: the estimate (-20.6%) is
    past it, the interval (-22.5% .. -18.7%) is not."""
    folder = tmp_path_factory.mktemp("unconfirmed") / "example"
    shutil.copytree(EXAMPLES / "support_copilot", folder)
    path = folder / "experiment.yaml"
    definition = yaml.safe_load(path.read_text())
    goal = definition["success_criteria"][0]
    goal.update(label="Cut average handle time by 20%", target="-20%")
    path.write_text(yaml.safe_dump(definition, sort_keys=False, allow_unicode=True))
    return folder


def test_page_two_never_counts_a_goal_reached_but_not_confirmed(unconfirmed):
    import valueproof
    from valueproof.config import load_experiment
    from valueproof.language.formatting import unisolated
    from valueproof.language.i18n import translations
    from valueproof.report.render import render_html, templates_dir

    results = valueproof.analyze(unconfirmed / "experiment.yaml")
    assert [c.status for c in results.criteria] == ["reached_unconfirmed", "at_risk",
                                                    "not_achieved", "not_achieved"]
    experiment = load_experiment(unconfirmed / "experiment.yaml")

    def flat(text: str) -> str:
        return " ".join(html.unescape(unisolated(text)).split())

    for language in LANGUAGES:
        catalogue = (NullTranslations() if language == "en"
                     else translations(templates_dir() / "locales", language))
        text = flat(render_html(experiment, results, language, logos={})[0])
        label = catalogue.gettext("Reached, not yet confirmed")
        assert label != catalogue.gettext("Achieved") and flat(label) in text, language
        goals = catalogue.ngettext("Goals agreed at onboarding: %(achieved)s of %(total)s "
                                   "achieved.", "Goals agreed at onboarding: %(achieved)s of "
                                   "%(total)s achieved.", 0)
        assert flat(goals % {"achieved": 0, "total": 4}) in text, language
        assert flat(catalogue.ngettext("%(n)s more is reached, but not yet confirmed.",
                                       "%(n)s more are reached, but not yet confirmed.",
                                       1) % {"n": 1}) in text, language
        assert flat(catalogue.gettext("likely range still includes the target")) in text
        step = catalogue.gettext("Together: measure for longer or add units to confirm the "
                                 "goal.")
        assert flat(step) in text, language
    english = flat(render_html(experiment, results, "en", logos={})[0])
    assert "Goals agreed at onboarding: 0 of 4 achieved. 1 more is reached" in english
    assert "Improved (−21% (−2.5 min)): its goal is reached, but not yet confirmed" in english


def test_terminal_and_batch_summary_keep_it_apart(unconfirmed, runner, tmp_path):
    result = invoke(runner, "analyze", unconfirmed / "experiment.yaml")
    assert result.exit_code == 0, result.output
    assert "reached, not yet confirmed" in result.output
    assert "Together: measure for longer or add units to confirm the goal." in \
        " ".join(result.output.split())
    out = tmp_path / "out"
    batch = invoke(runner, "batch", unconfirmed, "-o", out, "-j", "1", "--json")
    assert batch.exit_code == 0, batch.output
    row = json.loads((out / "summary.json").read_text())[0]
    assert (row["criteria_met"], row["criteria_total"]) == (0, 4)


def test_the_example_keeps_its_achieved_goal():
    """-21% against -15% with the whole interval past it: achieved, as before."""
    import valueproof

    results = valueproof.analyze(EXAMPLES / "support_copilot" / "experiment.yaml")
    handle = results.criteria[0]
    assert handle.status == "achieved" and handle.bound_beyond
    assert handle.measured_high <= -0.15  # lower is better: the upper bound is past -15%
    assert results.criteria[0].as_of == dt.date(2026, 9, 30)
