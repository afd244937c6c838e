"""Benchmark: a rollout in waves, one KPI, ours against csdid (the Python port of R's `did`).

Ours: every ATT(g,t), the simple, group, dynamic and calendar aggregations with their analytic
(influence-function) standard errors and the joint pre-trend test, for 100,000 units x 24
periods x 6 waves (plus never treated), from the units x periods matrices the data stage builds
(`stats.staggered`). The issue's target is 1 s.

Reference, in the same run and on the same cells: csdid's ATTgt(...).fit(est_method="reg",
bstrap=False) and aggte(typec="group", bstrap=False), on a smaller panel (it is far slower);
both sides time the same sizes, and the ratio is what to compare. csdid is in the test extras
(`pip install '.[test]'`).

Run:  python benchmarks/speed_waves.py [--reference-units 2000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.speed_panel import best_of  # noqa: E402
from valueproof.stats import staggered  # noqa: E402

WAVES = np.array([staggered.NEVER, 4, 7, 10, 13, 16, 19])


def panel(n_units: int, n_periods: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    cohort = rng.choice(WAVES, n_units)
    Y = (rng.normal(size=(n_units, 1)) + rng.normal(size=(1, n_periods))
         + rng.normal(size=(n_units, n_periods)))
    Y += 0.3 * (np.arange(n_periods)[None, :] >= np.where(cohort < 0, n_periods, cohort)[:, None])
    return Y, np.ones((n_units, n_periods)), cohort


def ours(Y, W, cohort) -> float:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):  # as `valueproof analyze` runs it
        gt = staggered.group_time(Y, W, cohort)
        aggs = staggered.aggregate(gt)
        staggered.pre_trend_test(gt, aggs.dynamic, int(np.sum(cohort == staggered.NEVER)))
        return aggs.group.estimate


def reference(Y, cohort) -> float:
    import contextlib
    import io

    import pandas as pd
    from csdid.att_gt import ATTgt

    n_units, n_periods = Y.shape
    frame = pd.DataFrame({
        "unit": np.repeat(np.arange(n_units), n_periods),
        "period": np.tile(np.arange(1, n_periods + 1), n_units),
        "y": Y.ravel(),
        "g": np.repeat(np.where(cohort < 0, 0, cohort + 1), n_periods)})
    with contextlib.redirect_stdout(io.StringIO()):
        fit = ATTgt(yname="y", gname="g", idname="unit", tname="period", data=frame,
                    control_group="nevertreated").fit(est_method="reg", bstrap=False)
        fit.aggte(typec="group", bstrap=False)
    return float(fit.atte["overall_att"]) if hasattr(fit, "atte") else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--periods", type=int, default=24)
    parser.add_argument("--reference-units", type=int, default=2000)
    args = parser.parse_args()
    big = panel(args.units, args.periods)
    seconds = best_of(lambda: ours(*big))
    print(f"ours, {args.units:,} units x {args.periods} periods x 6 waves: {seconds:.2f} s "
          f"(all ATT(g,t), 4 aggregations, SEs, pre-trend test; target 1 s)")
    small = panel(args.reference_units, args.periods, seed=1)
    mine = best_of(lambda: ours(*small))
    try:
        theirs = best_of(lambda: reference(small[0], small[2]), repeats=1)
    except ImportError:
        print("csdid is not installed (pip install '.[test]'); no reference ratio")
        return
    print(f"{args.reference_units:,} units: ours {mine:.3f} s, csdid {theirs:.2f} s, "
          f"ratio ours / csdid = {mine / theirs:.4f}")


if __name__ == "__main__":
    main()
