"""Calibration of the goals' `achieved` rule and of the NPS intervals (`calibration.py --only
criteria` and `--only nps`).

Goals: simulated pilots (`tests/simulate_goals.py`: AR(1) panels, rho 0.8, 12 periods of which 6
before the rollout, one KPI at a level of 20) run through the statistics stage and scored as the
tool scores them, with the true effect 0.8 x the target (the goal truly missed by 20%), 1 x and
2 x. Reported per row: the share marked `achieved` (a false claim at 0.8 x, power at 2 x), the
share `reached_unconfirmed`, and the share the former rule (estimate past the target and a
significant change) marked achieved, each with its Monte Carlo standard error. Beside the
target, its size in units of the design's typical standard error (the model's SE averaged over
200 null runs), so rows compare across designs: twice the target is confirmed in 80% of runs
when the target is about 2.8 standard errors (the MDE) or more.

NPS: exact coverage (every multinomial outcome, `tests/nps_exact.py`) of the adjusted Wald
interval (Rocks 2016) beside the plain Wald interval it replaces, and of the change between two
quarters; no simulation, no Monte Carlo error.
"""

from __future__ import annotations

import math

import numpy as np

from tests.nps_exact import MIXES, SIZES, change_coverage, coverage, wald
from tests.simulate_goals import GoalDesign, goal_statuses, null_se

#: treated, control, target, relative, better, the true effect as multiples of the target
GOAL_ROWS = [
    (GoalDesign(20, 20, 1.5), (0.8, 1.0, 2.0)),
    (GoalDesign(20, 20, -0.075, relative=True, better="lower"), (0.8, 1.0, 2.0)),
    (GoalDesign(20, 20, 0.75), (0.8, 2.0)),
    (GoalDesign(20, 20, 3.0), (0.8, 2.0)),
    (GoalDesign(10, 10, 2.0), (0.8, 2.0)),
    (GoalDesign(5, 25, 2.2, better="higher"), (0.8, 2.0)),
    (GoalDesign(3, 30, 3.0), (0.8, 2.0)),
    (GoalDesign(100, 100, 0.65), (0.8, 2.0)),
]


def _se(share: float, n: int) -> str:
    return f"{100 * math.sqrt(share * (1 - share) / n):.1f}"


def criteria_table(n: int, seed: int = 20260923) -> None:
    print(f"Goals: {n} simulations per cell; alpha 0.05 (the reported 95% interval's bound); "
          "AR(1) rho 0.8, 12 periods (6 before)")
    print("| treated / control | target | target / SE | true effect | achieved (MC SE) | "
          "reached, not yet confirmed | achieved by the former rule (MC SE) |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for row, (design, multiples) in enumerate(GOAL_ROWS):
        units = design.target * (20.0 if design.relative else 1.0)
        ratio = abs(units) / null_se(design, 200, np.random.default_rng([seed, row, 99]))
        shown = (f"{design.target:+.1%} ({design.better} is better)" if design.relative
                 else f"{design.target:+g} ({design.better} is better)")
        for k, multiple in enumerate(multiples):
            rng = np.random.default_rng([seed, row, k])
            shares = goal_statuses(design, multiple, n, rng)
            achieved = shares.get("achieved", 0.0)
            old = shares["old_rule"]
            print(f"| {design.treated} / {design.control} | {shown} | {ratio:.1f} | "
                  f"{multiple:g} × target | {achieved:.1%} (±{_se(achieved, n)}) | "
                  f"{shares.get('reached_unconfirmed', 0.0):.1%} | {old:.1%} (±{_se(old, n)}) |",
                  flush=True)


CHANGES = [((95, 4, 1), (95, 4, 1)), ((80, 15, 5), (95, 4, 1)), ((50, 30, 20), (70, 20, 10)),
           ((30, 30, 40), (50, 30, 20)), ((30, 30, 40), (30, 30, 40))]


def nps_table() -> None:
    print("NPS: exact coverage of the 95% interval (every outcome of the multinomial)")
    print("| promoters / passives / detractors (%) | "
          + " | ".join(f"n = {n}: adjusted Wald | n = {n}: Wald" for n in SIZES) + " |")
    print("| --- |" + " ---: | ---: |" * len(SIZES))
    for mix in MIXES:
        cells = " | ".join(f"{coverage(mix, n):.1%} | {coverage(mix, n, wald):.1%}"
                           for n in SIZES)
        print(f"| {'/'.join(map(str, mix))} | {cells} |", flush=True)
    print()
    print("NPS change between two quarters of independent answers: exact coverage")
    print("| before | after | n = 30 each: adjusted | n = 30: Wald | n = 50 each: adjusted | "
          "n = 50: Wald |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for before, after in CHANGES:
        cells = " | ".join(f"{change_coverage(before, after, n, n):.1%} | "
                           f"{change_coverage(before, after, n, n, wald):.1%}" for n in (30, 50))
        print(f"| {'/'.join(map(str, before))} | {'/'.join(map(str, after))} | {cells} |",
              flush=True)
