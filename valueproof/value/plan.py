"""The improvement plan: what did not work, and what will be done about it.

Every KPI that did not improve and every criterion not achieved gets an entry, with the actions
written in the definition or, when there are none, a default action the report words in the
reader's language (`default_action` is a code; `default_action_text` its English wording).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from valueproof.config.schema import Experiment
from valueproof.stats.results import KPIResult
from valueproof.value.criteria import CriterionResult

DEFAULT_ACTIONS = {
    "worsened": "Investigate why {label} got worse among the units that use the product, "
                "and agree a fix with the customer",
    "inconclusive": "Gather more evidence: this data could only detect changes larger than "
                    "the minimum detectable effect; extend the pilot or add units",
    "criterion": "Review adoption among the pilot's users and agree a recovery plan for "
                 "this goal",
}


@dataclass(frozen=True)
class PlanItem:
    kind: str  # kpi | criterion
    kpi: str
    label: str
    reason: str  # worsened | inconclusive | not_achieved | criterion inconclusive
    actions: list[dict] = field(default_factory=list)
    default_action: str | None = None
    default_action_text: str | None = None


def _item(kind, kpi_id, label, reason, actions, default) -> PlanItem:
    if actions:
        return PlanItem(kind, kpi_id, label, reason, actions)
    return PlanItem(kind, kpi_id, label, reason, [], default,
                    DEFAULT_ACTIONS[default].format(label=label))


def improvement_plan(experiment: Experiment, kpis: list[KPIResult],
                     criteria: list[CriterionResult]) -> list[PlanItem]:
    plan = []
    for kpi in kpis:
        if kpi.verdict == "improved":
            continue
        actions = [a.model_dump() for a in experiment.kpi(kpi.id).actions]
        plan.append(_item("kpi", kpi.id, kpi.label, kpi.verdict, actions, kpi.verdict))
    for criterion in criteria:
        if criterion.status in ("achieved", "on_track"):
            continue
        kpi = experiment.kpi(criterion.kpi)
        # A goal without actions of its own takes its KPI's actions before a generic default.
        actions = criterion.actions or [a.model_dump() for a in kpi.actions]
        plan.append(_item("criterion", criterion.kpi, criterion.label or kpi.display_label,
                          criterion.status, actions, "criterion"))
    return plan
