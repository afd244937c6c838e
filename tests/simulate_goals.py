"""Goals scored on simulated pilots, as the tool scores them (tests and benchmarks/calibration.py).

A panel from `tests.simulate.ar1_panel` (unit and period effects, AR(1) errors, a common rollout)
on a KPI level of `BASELINE`, run through the statistics stage (`analyze_dataset`, one KPI) and
scored by `score_criterion` with a target in the KPI's units or relative to its level. The true
effect is a multiple of the target (0.8: the goal truly missed by 20%; 2: twice the target), so
the share of runs marked `achieved` is the rule's false-claim rate or its power.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from tests.simulate import ar1_panel
from valueproof.config.kpis import Criterion
from valueproof.config.schema import Experiment
from valueproof.data.dataset import Dataset, Window
from valueproof.stats import analyze_dataset
from valueproof.value.criteria import score_criterion

BASELINE = 20.0  # the KPI's level without the product (relative targets are shares of it)


@dataclass(frozen=True)
class GoalDesign:
    treated: int
    control: int
    target: float  # KPI units, or a share of BASELINE with `relative`
    relative: bool = False
    better: str = "higher"
    periods: int = 12
    pre: int = 6
    rho: float = 0.8


def _experiment(design: GoalDesign) -> Experiment:
    target = f"{design.target * 100:+g}%" if design.relative else design.target
    return Experiment.model_validate({
        "name": "simulated goal", "data": {"path": "sim.csv", "unit": "u", "time": "t"},
        "groups": {"column": "g", "treatment": "T", "control": "C"}, "rollout": design.pre,
        "kpis": [{"id": "y", "column": "y", "better": design.better}],
        "success_criteria": [{"kpi": "y", "target": target}]})


def _dataset(panel, design: GoalDesign) -> Dataset:
    return Dataset(source="simulation", fingerprint="", time_kind="period", rollout=design.pre,
                   pre=Window(0, design.pre - 1), post=Window(design.pre, design.periods - 1),
                   design="panel", rows_read=len(panel.unit), rows_used=len(panel.unit),
                   cells=[], missing={}, unit_counts={}, panel=panel)


def _kpi(experiment: Experiment, design: GoalDesign, effect: float, rng: np.random.Generator):
    units = design.treated + design.control
    panel = ar1_panel(rng, units, design.periods, design.pre, design.rho, effect=effect,
                      treated_share=design.treated / units)
    panel = dataclasses.replace(panel, values={"y": panel.values["y"] + BASELINE})
    return analyze_dataset(experiment, _dataset(panel, design)).kpis[0]


def null_se(design: GoalDesign, n: int, rng: np.random.Generator) -> float:
    """The design's typical standard error of the effect (KPI units): its mean under the null."""
    experiment = _experiment(design)
    return float(np.mean([_kpi(experiment, design, 0.0, rng).se for _ in range(n)]))


def goal_statuses(design: GoalDesign, multiple: float, n: int,
                  rng: np.random.Generator) -> dict[str, float]:
    """Share of `n` simulated pilots with each status when the true effect is `multiple` x the
    target, plus `old_rule`: the share the former rule (the estimate reaches the target and the
    change is significant) marked achieved. Open-ended goals: the rule for `achieved` is the
    same before and after a deadline."""
    experiment = _experiment(design)
    criterion: Criterion = experiment.success_criteria[0]
    effect = multiple * design.target * (BASELINE if design.relative else 1.0)
    counts: dict[str, int] = {}
    old = 0
    for _ in range(n):
        kpi = _kpi(experiment, design, effect, rng)
        result = score_criterion(criterion, kpi, None)
        counts[result.status] = counts.get(result.status, 0) + 1
        old += result.reached and kpi.verdict == "improved"
    shares = {status: count / n for status, count in counts.items()}
    shares["old_rule"] = old / n
    return shares
