"""Value stage: success-criteria scorecard, ROI with its range, improvement plan."""

from __future__ import annotations

import dataclasses
import datetime as dt

from valueproof.adoption.results import AdoptionOutcome
from valueproof.config import Experiment
from valueproof.stats.results import Results
from valueproof.value.criteria import direction_warnings, score_criteria
from valueproof.value.plan import improvement_plan, plan_steps, steps_without_owner
from valueproof.value.roi import compute_roi


def as_of_date(experiment: Experiment, results: Results) -> dt.date | None:
    """The date the scorecard is judged at: `as_of`, else the report date (a goal due before
    the report is dated is settled), else the end of the post window."""
    try:
        return judged_at(experiment, dt.date.fromisoformat(results.post["end"]))
    except ValueError:  # integer periods: no calendar date to judge deadlines by
        return judged_at(experiment, None)


def judged_at(experiment: Experiment, post_end: dt.date | None) -> dt.date | None:
    """`as_of`, else the report date, else `post_end` (None for integer periods)."""
    if experiment.as_of is not None:
        return experiment.as_of
    if experiment.report_date is not None:
        return experiment.report_date
    return post_end


def measured_period(results: Results) -> tuple[dt.date, dt.date] | None:
    """The post window as dates (None for integer periods)."""
    try:
        return (dt.date.fromisoformat(results.post["start"]),
                dt.date.fromisoformat(results.post["end"]))
    except ValueError:
        return None


def assess_value(experiment: Experiment, results: Results,
                 adoption: AdoptionOutcome | None) -> Results:
    """Results with criteria, ROI, improvement plan and next-quarter goals added, and the
    adoption numbers (`adoption`, counted by the adoption stage; None without them)."""
    kpis = {k.id: k for k in results.kpis}
    criteria = score_criteria(experiment, kpis, as_of_date(experiment, results))
    roi = (compute_roi(experiment.roi, kpis, measured_period(results), results.alpha,
                       results.waves) if experiment.roi else None)
    plan = improvement_plan(experiment, results.kpis, criteria, adoption and adoption.adoption)
    next_quarter = [g.model_dump() for g in experiment.next_quarter]
    warnings = direction_warnings(experiment) + list(
        filter(None, [steps_without_owner(plan_steps(plan, next_quarter))]))
    return dataclasses.replace(
        results,
        criteria=criteria,
        roi=roi,
        improvement_plan=plan,
        next_quarter=next_quarter,
        warnings=results.warnings + warnings + (adoption.warnings if adoption else []),
        adoption=adoption and adoption.adoption,
        nps=adoption and adoption.nps,
        health=adoption and adoption.health,
        highlights=list(experiment.highlights),
        roadmap=[item.model_dump() for item in experiment.roadmap],
        asks=list(experiment.asks),
    )
