"""The improvement plan: what did not work, and what will be done about it.

One entry per KPI that needs one: a KPI that got worse or is inconclusive, and a KPI (even one
that improved) with a goal not achieved, at risk or inconclusive. The goals sit under their KPI,
so a KPI and its goal never repeat the same action. Actions are the KPI's and its goals' own
(`actions` in the definition, each once); without any, `default_action` names the kind of step
that fits the verdict, which the report words in the reader's language:

- `worsened`         the KPI got worse: find out why and agree a fix
- `short_of_target`  the KPI improved, but less than a goal asks (not a recovery plan: the change
                     is real; the gap and the target are what to discuss)
- `inconclusive`     the data cannot tell yet: gather more evidence

Entries come in order of urgency: worse first, then improved but short of a goal, then
inconclusive; the definition's order within each.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from valueproof.config.schema import Experiment
from valueproof.stats.results import KPIResult
from valueproof.value.criteria import CriterionResult

OPEN_STATUSES = ("not_achieved", "at_risk", "inconclusive")  # goals that need a plan
DEFAULT_FOR_VERDICT = {"worsened": "worsened", "improved": "short_of_target",
                       "inconclusive": "inconclusive"}
URGENCY = ("worsened", "improved", "inconclusive")


@dataclass(frozen=True)
class PlanGoal:
    label: str  # the goal as worded (or its KPI's label)
    status: str  # not_achieved | at_risk | inconclusive


@dataclass(frozen=True)
class PlanItem:
    kpi: str
    label: str  # the KPI's label
    verdict: str  # improved | worsened | inconclusive
    goals: list[PlanGoal] = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)  # {do, owner, by}; owner/by may be None
    default_action: str | None = None  # worsened | short_of_target | inconclusive


def _unique(actions: list[dict]) -> list[dict]:
    """Each action once (a goal often repeats its KPI's)."""
    seen, out = set(), []
    for action in actions:
        key = (action.get("do"), action.get("owner"), str(action.get("by")))
        if key not in seen:
            seen.add(key)
            out.append(action)
    return out


def improvement_plan(experiment: Experiment, kpis: list[KPIResult],
                     criteria: list[CriterionResult]) -> list[PlanItem]:
    plan = []
    for kpi in kpis:
        goals = [c for c in criteria if c.kpi == kpi.id and c.status in OPEN_STATUSES]
        if kpi.verdict == "improved" and not goals:
            continue
        actions = [a.model_dump() for a in experiment.kpi(kpi.id).actions]
        for goal in goals:
            actions += goal.actions
        actions = _unique(actions)
        plan.append(PlanItem(
            kpi=kpi.id, label=kpi.label, verdict=kpi.verdict,
            goals=[PlanGoal(g.label or kpi.label, g.status) for g in goals], actions=actions,
            default_action=None if actions else DEFAULT_FOR_VERDICT[kpi.verdict]))
    return sorted(plan, key=lambda item: URGENCY.index(item.verdict))
