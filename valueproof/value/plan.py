"""The improvement plan: what did not work, and what will be done about it.

One entry per KPI that needs one: a KPI that got worse or is inconclusive, and a KPI (even one
that improved) with a goal not achieved, at risk, inconclusive, or reached but not yet
confirmed. The goals sit under their KPI, so a KPI and its goal never repeat the same action. Actions are the KPI's and its goals' own
(`actions` in the definition, each once); without any, `default_action` names the kind of step
that fits the verdict, which the report words in the reader's language:

- `worsened`         the KPI got worse: find out why and agree a fix
- `short_of_target`  the KPI improved, but less than a goal asks (not a recovery plan: the change
                     is real; the gap and the target are what to discuss)
- `inconclusive`     the data cannot tell yet: gather more evidence (but when a goal's whole
                     likely range falls short of its target, more evidence cannot reach it:
                     `short_of_target`, agree how to close the gap)
- `confirm_goal`     every goal of an improved KPI in the plan is reached but not yet confirmed
                     (its estimate is past the target, its interval not yet): gather more
                     evidence to confirm it, not close a gap that the estimate says is closed
- `more_donors`      inconclusive against too few comparable accounts (`comparison`) for any
                     effect to be detected: only more of them help, not a longer pilot
- `closer_donors`    inconclusive because the comparable accounts' blend did not follow the
                     account before the rollout (a poor pre-period fit): accounts that resemble
                     it more closely help

Low use is a reason of its own. With adoption data, when fewer than `LOW_SHARE` (60%) of the
licences are in use (active users in the 28 days to the as-of date / licences) or fewer than 60%
of the users completed the training, an entry for a KPI that improved too little or is
inconclusive says so (`reasons`), and its default action is to fix that first:

- `drive_adoption`         utilisation is low: get the licensed users to use the product
- `finish_training`        training completion is low: finish the training
- `adoption_and_training`  both

A product few people use cannot move a KPI much, so these replace `short_of_target` and
`inconclusive` (a goal already reached has no shortfall to explain: `confirm_goal` stays). A KPI
that got worse keeps `worsened`: low use makes an effect smaller, not the wrong way round.

Entries come in order of urgency: worse first, then improved but short of a goal, then improved
with goals only awaiting confirmation, then inconclusive; the definition's order within each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from valueproof.config.schema import Experiment
from valueproof.stats.results import KPIResult
from valueproof.value.criteria import CriterionResult

OPEN_STATUSES = ("not_achieved", "at_risk", "inconclusive", "reached_unconfirmed")  # need a plan
DEFAULT_FOR_VERDICT = {"worsened": "worsened", "improved": "short_of_target",
                       "inconclusive": "inconclusive"}
URGENCY = ("worsened", "improved", "inconclusive")
LOW_SHARE = 0.60  # utilisation or training completion below this is low (a reason in the plan)
ACTION_FOR_REASONS = {("low_adoption",): "drive_adoption", ("low_training",): "finish_training",
                      ("low_adoption", "low_training"): "adoption_and_training"}


@dataclass(frozen=True)
class PlanGoal:
    label: str  # the goal as worded (or its KPI's label)
    status: str  # not_achieved | at_risk | inconclusive | reached_unconfirmed


@dataclass(frozen=True)
class PlanItem:
    kpi: str
    label: str  # the KPI's label
    verdict: str  # improved | worsened | inconclusive
    goals: list[PlanGoal] = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)  # {do, owner, by}; owner/by may be None
    # worsened | short_of_target | inconclusive | confirm_goal | more_donors | closer_donors |
    # drive_adoption | finish_training | adoption_and_training
    default_action: str | None = None
    # low use behind a shortfall: {kind: low_adoption | low_training, share, count, base}
    reasons: list[dict] = field(default_factory=list)


def _unique(actions: list[dict]) -> list[dict]:
    """Each action once (a goal often repeats its KPI's)."""
    seen, out = set(), []
    for action in actions:
        key = (action.get("do"), action.get("owner"), str(action.get("by")))
        if key not in seen:
            seen.add(key)
            out.append(action)
    return out


def low_use(adoption) -> list[dict]:
    """Low utilisation and low training completion (below `LOW_SHARE`), from the adoption
    stage's `Adoption` (None without adoption data)."""
    if adoption is None:
        return []
    reasons = []
    if adoption.utilisation is not None and adoption.utilisation < LOW_SHARE:
        reasons.append({"kind": "low_adoption", "share": adoption.utilisation,
                        "count": adoption.active_users, "base": adoption.licences,
                        "threshold": LOW_SHARE})
    training = adoption.training
    if training is not None and training.share is not None and training.share < LOW_SHARE:
        reasons.append({"kind": "low_training", "share": training.share,
                        "count": training.completed, "base": training.base,
                        "basis": training.basis, "threshold": LOW_SHARE})
    return reasons


def improvement_plan(experiment: Experiment, kpis: list[KPIResult],
                     criteria: list[CriterionResult], adoption=None) -> list[PlanItem]:
    """The plan; `adoption` (the adoption stage's `Adoption`, optional) adds low use as a
    reason and its default action (see the module's docstring)."""
    low = low_use(adoption)
    plan = []
    for kpi in kpis:
        goals = [c for c in criteria if c.kpi == kpi.id and c.status in OPEN_STATUSES]
        if kpi.verdict == "improved" and not goals:
            continue
        actions = [a.model_dump() for a in experiment.kpi(kpi.id).actions]
        for goal in goals:
            actions += goal.actions
        actions = _unique(actions)
        confirm = (kpi.verdict == "improved"
                   and all(g.status == "reached_unconfirmed" for g in goals))
        reasons = [] if kpi.verdict == "worsened" or confirm else low
        default = ("confirm_goal" if confirm else
                   "closer_donors" if kpi.verdict == "inconclusive" and kpi.method ==
                   "synthetic_did" and kpi.synthetic["pre_fit"] == "poor" else
                   "more_donors" if kpi.verdict == "inconclusive" and not kpi.detectable
                   and kpi.method == "synthetic_did" else
                   ACTION_FOR_REASONS[tuple(r["kind"] for r in reasons)] if reasons
                   else "short_of_target" if kpi.verdict == "inconclusive"
                   and any(whole_range_short(g, kpi.better) for g in goals)
                   else DEFAULT_FOR_VERDICT[kpi.verdict])
        plan.append(PlanItem(
            kpi=kpi.id, label=kpi.label, verdict=kpi.verdict,
            goals=[PlanGoal(g.label or kpi.label, g.status) for g in goals], actions=actions,
            default_action=None if actions else default, reasons=list(reasons)))
    return sorted(plan, key=lambda item: (URGENCY.index(item.verdict), awaits_confirmation(item)))


def whole_range_short(goal: CriterionResult, better: str) -> bool:
    """The goal's whole likely range falls short of its target (its favourable end too)."""
    end = goal.measured_high if better == "higher" else goal.measured_low
    return math.isfinite(end) and (end < goal.target if better == "higher"
                                   else end > goal.target)


def awaits_confirmation(item: PlanItem) -> bool:
    """An improved KPI whose goals in the plan are all reached, only not yet confirmed."""
    return item.verdict == "improved" and bool(item.goals) and all(
        g.status == "reached_unconfirmed" for g in item.goals)


def steps_without_owner(actions: list[dict]) -> str | None:
    """The warning for steps (plan actions and next quarter's goals, each a mapping with `owner`
    and `by`) that have no owner or no date: '3 next steps have no owner and 2 have no date'
    (None when every step has both). The report shows them as 'to agree'."""
    owners = sum(not a.get("owner") for a in actions)
    dates = sum(not a.get("by") for a in actions)
    if not owners and not dates:
        return None
    parts = []
    if owners:
        parts.append(f"{owners} next step{'s' if owners != 1 else ''} "
                     f"{'have' if owners != 1 else 'has'} no owner")
    if dates:
        parts.append(f"{dates} {'have' if dates != 1 else 'has'} no date" if owners else
                     f"{dates} next step{'s' if dates != 1 else ''} "
                     f"{'have' if dates != 1 else 'has'} no date")
    return (" and ".join(parts) + ": the report shows 'to agree' and asks the customer to "
            "decide; give each an owner: and a by: date (actions: of a KPI or goal, "
            "next_quarter:) to settle them before the meeting")


def written_steps(experiment: Experiment) -> list[dict]:
    """The steps a definition writes itself: every KPI's and goal's actions (each once) and
    next quarter's goals, for `validate` (the plan's own default steps need the results)."""
    actions = [a.model_dump() for k in experiment.kpis for a in k.actions]
    actions += [a.model_dump() for c in experiment.success_criteria for a in c.actions]
    return _unique(actions) + [g.model_dump() for g in experiment.next_quarter]


def plan_steps(plan: list[PlanItem], next_quarter: list[dict]) -> list[dict]:
    """Every step the report lists: each plan entry's actions (a default step, without owner or
    date, for an entry without any) and next quarter's goals."""
    steps = []
    for item in plan:
        steps += item.actions or [{"do": item.default_action, "owner": None, "by": None}]
    return steps + list(next_quarter)
