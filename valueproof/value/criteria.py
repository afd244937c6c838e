"""Scoring the success criteria agreed at onboarding against the measured effects.

Rules, checked in this order (the README has the same table):

1. achieved      the estimate reaches the target and the KPI improved significantly (adjusted
                 p-value); for a `level` target, the treated group's post-rollout level reaches it
2. not_achieved  the KPI got significantly worse
3. on_track      the deadline (`by`) is after the as-of date and the KPI improved significantly,
                 but the target is not reached yet
4. not_achieved  the whole confidence interval falls short of the target
5. inconclusive  otherwise: the interval still includes the target, so the data cannot tell

`with_confidence` says the whole interval lies beyond the target (not just the estimate).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from valueproof.config.schema import Criterion, Experiment
from valueproof.stats.results import KPIResult

STATUSES = ("achieved", "on_track", "not_achieved", "inconclusive")


@dataclass(frozen=True)
class CriterionResult:
    kpi: str
    label: str  # how the goal was worded (or a generated wording)
    kind: str  # relative | absolute | level
    target: float  # -0.15 for -15%; KPI units for absolute and level targets
    measured: float  # relative effect, effect in KPI units, or treated post level
    measured_low: float
    measured_high: float
    status: str
    with_confidence: bool
    reached: bool
    by: dt.date | None
    agreed_on: dt.date | None
    as_of: dt.date | None
    deadline_passed: bool
    reason: str  # why this status, in one English sentence (the report words it itself)
    actions: list[dict] = field(default_factory=list)


def _measure(criterion: Criterion, kpi: KPIResult) -> tuple[str, float, float, float, float]:
    if criterion.level is not None:
        return "level", criterion.level, kpi.level, kpi.level_low, kpi.level_high
    if criterion.target.relative:
        if kpi.relative_effect is None:
            return "relative", criterion.target.value, float("nan"), float("nan"), float("nan")
        unbounded = float("nan")  # a Fieller interval without bounds: nothing is certain
        return ("relative", criterion.target.value, kpi.relative_effect,
                unbounded if kpi.relative_ci_low is None else kpi.relative_ci_low,
                unbounded if kpi.relative_ci_high is None else kpi.relative_ci_high)
    return ("absolute", criterion.target.value, kpi.effect_units, kpi.effect_units_low,
            kpi.effect_units_high)


def score_criterion(criterion: Criterion, kpi: KPIResult, as_of: dt.date | None) -> CriterionResult:
    kind, target, measured, low, high = _measure(criterion, kpi)
    up = kpi.better == "higher"
    beyond = (lambda v: v >= target) if up else (lambda v: v <= target)
    reached = beyond(measured)
    # without an interval (no standard error) nothing is certain either way
    favourable, unfavourable = (high, low) if up else (low, high)
    confident = math.isfinite(unfavourable) and beyond(unfavourable)
    short_for_sure = math.isfinite(favourable) and not beyond(favourable)
    deadline_passed = criterion.by is None or as_of is None or criterion.by <= as_of
    if reached and (kind == "level" or kpi.verdict == "improved"):
        status, reason = "achieved", "the estimate reaches the target" + (
            "" if kind == "level" else " and the improvement is significant")
    elif kpi.verdict == "worsened":
        status, reason = "not_achieved", "the KPI got significantly worse"
    elif not deadline_passed and kpi.verdict == "improved":
        status, reason = "on_track", "significant improvement, target not reached yet, deadline ahead"
    elif short_for_sure:
        status, reason = "not_achieved", "the whole confidence interval falls short of the target"
    else:
        status, reason = "inconclusive", "the confidence interval still includes the target"
    return CriterionResult(
        kpi=kpi.id, label=criterion.label or "", kind=kind, target=target, measured=measured,
        measured_low=low, measured_high=high, status=status,
        with_confidence=bool(confident and status == "achieved"), reached=bool(reached),
        by=criterion.by, agreed_on=criterion.agreed_on, as_of=as_of,
        deadline_passed=deadline_passed, reason=reason,
        actions=[a.model_dump() for a in criterion.actions],
    )


def score_criteria(experiment: Experiment, kpis: dict[str, KPIResult],
                   as_of: dt.date | None) -> list[CriterionResult]:
    return [score_criterion(c, kpis[c.kpi], as_of) for c in experiment.success_criteria]


def direction_warnings(experiment: Experiment) -> list[str]:
    """Targets that point the wrong way ("-15% on a KPI where higher is better")."""
    out = []
    for criterion in experiment.success_criteria:
        if criterion.target is None:
            continue
        kpi = experiment.kpi(criterion.kpi)
        value = criterion.target.value
        if (value < 0) == (kpi.better == "higher"):
            shown = f"{value:+.0%}" if criterion.target.relative else f"{value:+g}"
            out.append(f"success criterion on '{kpi.id}': target {shown} on a KPI where "
                       f"{kpi.better} is better; check the sign of the target")
    return out
