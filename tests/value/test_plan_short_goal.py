"""A goal whose whole likely range falls short of its target gets a plan to close the gap, not
"gather more evidence": more data would only narrow a range that already misses the target."""

from __future__ import annotations

import datetime as dt
import json

from tests.conftest import EXAMPLES, invoke
from tests.value.test_value import kpi_result
from valueproof.config.schema import Experiment
from valueproof.value.criteria import score_criterion
from valueproof.value.plan import improvement_plan, whole_range_short


def _experiment(goal: dict) -> Experiment:
    return Experiment.model_validate({
        "name": "t", "data": {"path": "d.csv", "unit": "u", "time": "t"},
        "groups": {"column": "g", "treatment": "a", "control": "b"}, "rollout": "2026-07-01",
        "kpis": [{"id": "csat", "column": "csat", "better": "higher"}],
        "success_criteria": [{"kpi": "csat", **goal}]})


def _plan(goal: dict, level: tuple[float, float, float]):
    experiment = _experiment(goal)
    kpi = kpi_result(effect=0.02, low=-0.03, high=0.07, better="higher", verdict="inconclusive",
                     relative=(0.005, -0.01, 0.02), level=level, kpi_id="csat")
    criterion = score_criterion(experiment.success_criteria[0], kpi, dt.date(2026, 10, 1))
    return criterion, improvement_plan(experiment, [kpi], [criterion])


def test_level_goal_missed_for_sure_gets_a_plan_to_close_the_gap():
    criterion, plan = _plan({"level": 4.3, "by": "2026-09-30"}, (4.08, 4.05, 4.11))
    assert criterion.status == "not_achieved" and whole_range_short(criterion, "higher")
    assert [item.default_action for item in plan] == ["short_of_target"]


def test_level_goal_still_within_reach_keeps_gathering_evidence():
    # the range 4.05 … 4.35 still includes 4.3: more evidence can still tell
    criterion, plan = _plan({"level": 4.3, "by": "2026-09-30"}, (4.2, 4.05, 4.35))
    assert not whole_range_short(criterion, "higher")
    assert [item.default_action for item in plan] == ["inconclusive"]


def test_lower_is_better_reads_the_other_end():
    criterion, _ = _plan({"level": 4.3, "by": "2026-09-30"}, (4.08, 4.05, 4.11))
    assert not whole_range_short(criterion, "lower")  # 4.05 is below 4.3: not short when lower wins


def test_example_csat_goal_gets_the_gap_plan_in_the_report(runner, tmp_path):
    out, pdf, html = tmp_path / "r.json", tmp_path / "r.pdf", tmp_path / "r.html"
    assert invoke(runner, "analyze", EXAMPLES / "support_copilot", "--json", out).exit_code == 0
    plan = {p["kpi"]: p for p in json.loads(out.read_text())["improvement_plan"]}
    assert plan["csat"]["verdict"] == "inconclusive"
    assert plan["csat"]["default_action"] == "short_of_target"
    result = invoke(runner, "report", EXAMPLES / "support_copilot", "-o", pdf, "--html", html)
    assert result.exit_code == 0, result.output
    page = html.read_text()
    plan_part = page[page.index('id="plan"'):page.index('class="appendix"')]
    assert "Gather more evidence: extend the pilot" not in plan_part
