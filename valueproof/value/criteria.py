"""Scoring the success criteria agreed at onboarding against the measured effects.

A goal is judged at the as-of date (`as_of`, else the report date, else the end of the data).
"Achieved" is a claim the customer holds us to, so it needs the evidence, not just the estimate:
the goal is tested as a non-inferiority claim (Schuirmann 1987; Wellek 2010), and the bound of
the KPI's reported interval on the side away from the goal (the lower end when higher is
better) must lie beyond the target. The interval is the one the report prints (level 1 - alpha,
95% by default), so each bound is a one-sided test at alpha / 2: conservative against the
(1 - 2 alpha) interval of a one-sided test at alpha, and a reader can check every "achieved"
against the likely range on the page. A relative target is judged on the relative effect and
its interval, an absolute one on the effect in KPI units and its interval, a `level` on the
treated group's post-rollout level and its interval.

Rules, checked in this order (docs/methods/criteria-and-roi.md has the same table):

Any time:
1. achieved            the interval's bound on the side away from the goal is beyond the target;
                       a target asking for an improvement (or for no change) also needs the
                       KPI's change to be significant after the adjustment across KPIs, so a
                       goal is never achieved beside a KPI the report calls inconclusive
2. reached_unconfirmed the estimate is past the target but the interval still includes it (or
                       the change is not significant after the adjustment): "reached, not yet
                       confirmed"; it never counts as achieved
Past the deadline (`by` on or before the as-of date), a goal is settled:
3. not_achieved        otherwise (the reason says whether it fell short for sure, got worse, or
                       the data could not show it)
Without a deadline (or without calendar dates) there is nothing to settle or to project to:
not_achieved when the KPI got worse or the whole interval falls short of the target;
inconclusive otherwise.
Before the deadline:
4. on_track            the KPI improved significantly and the trend of the effect since the
                       rollout, carried on to the deadline, reaches the target
5. inconclusive        neither better nor worse for sure, and the interval still includes the
                       target
6. at_risk             otherwise: it got worse, falls short for sure, or its trend does not
                       reach the target in time

`with_confidence` is kept for readers of older results: it is true exactly when the goal is
achieved. `progress` is the share of a change target reached so far (0.7: 70% of the way).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from valueproof.config.kpis import Criterion
from valueproof.config.schema import Experiment
from valueproof.stats.results import KPIResult

STATUSES = ("achieved", "reached_unconfirmed", "on_track", "at_risk", "not_achieved",
            "inconclusive")
PERIOD_DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12, "quarter": 365.25 / 4}


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
    progress: float | None = None  # share of a change target reached (measured / target)
    projected: float | None = None  # the measure carried on to the deadline by its trend
    # the interval's end on the side away from the goal is beyond the target (a goal reached
    # but not confirmed has it only when its KPI's change is not significant after adjustment)
    bound_beyond: bool = False


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


def _projection(kind: str, kpi: KPIResult, measured: float, by: dt.date | None,
                as_of: dt.date | None, period: str) -> float | None:
    """The measure at the deadline if the effect keeps its trend since the rollout: the
    least-squares slope of the post-rollout points of the event study (per period; for a
    rollout in waves, per period since each wave's rollout), carried on from the as-of date.
    None when there is no trend to carry (fewer than 3 post points, integer periods)."""
    points = [p for p in kpi.event_study if p.post and math.isfinite(p.coefficient)]
    if by is None or as_of is None or len(points) < 3 or period not in PERIOD_DAYS:
        return None
    x = list(range(len(points)))
    y = [p.coefficient for p in points]
    mean_x, mean_y = sum(x) / len(x), sum(y) / len(y)
    slope = (sum((a - mean_x) * (b - mean_y) for a, b in zip(x, y))
             / sum((a - mean_x) ** 2 for a in x))
    ahead = max((by - as_of).days, 0) / PERIOD_DAYS[period]
    gain = slope * ahead  # model scale: KPI units, or log points
    if kpi.log_scale:  # a log KPI, or a Poisson KPI's log rate ratio
        if kind == "relative":
            return (1 + measured) * math.exp(gain) - 1
        if kind == "absolute":
            base = kpi.level - kpi.effect_units  # counterfactual level, in KPI units
            return (base + measured) * math.exp(gain) - base
        return measured * math.exp(gain)
    if kind == "relative":
        base = kpi.level - kpi.effect
        return measured + gain / base if base else None
    return measured + gain


def score_criterion(criterion: Criterion, kpi: KPIResult, as_of: dt.date | None,
                    period: str = "week") -> CriterionResult:
    kind, target, measured, low, high = _measure(criterion, kpi)
    up = kpi.better == "higher"
    beyond = (lambda v: v >= target) if up else (lambda v: v <= target)
    reached = beyond(measured)
    # without an interval (no standard error) nothing is certain either way
    favourable, unfavourable = (high, low) if up else (low, high)
    confident = math.isfinite(unfavourable) and beyond(unfavourable)
    short_for_sure = math.isfinite(favourable) and not beyond(favourable)
    open_ended = criterion.by is None or as_of is None
    deadline_passed = not open_ended and criterion.by <= as_of
    projected = None if open_ended or deadline_passed else _projection(
        kind, kpi, measured, criterion.by, as_of, period)
    # a change the better way (or none) is an improvement claim: significant after adjustment
    asks_improvement = kind != "level" and (target >= 0 if up else target <= 0)
    significant_enough = not asks_improvement or kpi.verdict == "improved"
    if confident and significant_enough:
        status, reason = "achieved", "the whole confidence interval is beyond the target" + (
            " and the improvement is significant" if asks_improvement else "")
    elif reached:
        status, reason = "reached_unconfirmed", (
            "the estimate reaches the target, but the confidence interval still includes it"
            if not confident else "the estimate and its confidence interval reach the target, "
            "but the change is not significant after the adjustment across KPIs")
    elif open_ended:
        status, reason = (("not_achieved", "the KPI got significantly worse")
                          if kpi.verdict == "worsened" else
                          ("not_achieved",
                           "the whole confidence interval falls short of the target")
                          if short_for_sure else
                          ("inconclusive", "the confidence interval still includes the target"))
    elif deadline_passed:
        status = "not_achieved"
        reason = ("the KPI got significantly worse" if kpi.verdict == "worsened" else
                  "the whole confidence interval falls short of the target" if short_for_sure
                  else "the estimate falls short of the target" if kpi.verdict == "improved"
                  else "the data cannot show that the target was reached by the deadline")
    elif kpi.verdict == "improved" and projected is not None and beyond(projected):
        status, reason = "on_track", ("significant improvement whose trend reaches the target "
                                      "by the deadline")
    elif kpi.verdict == "worsened":
        status, reason = "at_risk", "the KPI got significantly worse; the deadline is ahead"
    elif kpi.verdict == "improved":
        status, reason = "at_risk", ("significant improvement, but its trend does not reach "
                                     "the target by the deadline" if projected is not None else
                                     "significant improvement, target not reached yet and no "
                                     "trend to show it will be")
    elif short_for_sure:
        status, reason = "at_risk", "the whole confidence interval falls short of the target"
    else:
        status, reason = "inconclusive", "the confidence interval still includes the target"
    # how far towards the target (a change the wrong way, or a level, has no progress)
    progress = (measured / target if kind != "level" and math.isfinite(measured)
                and measured * target > 0 else None)
    return CriterionResult(
        kpi=kpi.id, label=criterion.label or "", kind=kind, target=target, measured=measured,
        measured_low=low, measured_high=high, status=status,
        with_confidence=status == "achieved", reached=bool(reached),
        by=criterion.by, agreed_on=criterion.agreed_on, as_of=as_of,
        deadline_passed=deadline_passed, reason=reason,
        actions=[a.model_dump() for a in criterion.actions], progress=progress,
        projected=projected, bound_beyond=bool(confident),
    )


def score_criteria(experiment: Experiment, kpis: dict[str, KPIResult],
                   as_of: dt.date | None) -> list[CriterionResult]:
    return [score_criterion(c, kpis[c.kpi], as_of, experiment.analysis.period)
            for c in experiment.success_criteria]


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
