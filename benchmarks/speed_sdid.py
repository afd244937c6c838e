"""Benchmark: synthetic DiD for 1 account against 200 donors, 52 weeks (26 before the rollout),
5 KPIs, with the full placebo inference (every donor treated in turn, SC and DiD placebos too) and
the dip check — the issue's target is 5 s.

Ours: `synthetic_did` + `placebo_inference` + `pre_period_dip` per KPI (`stats.synthdid`,
`stats.placebo`), BLAS on one thread as `valueproof analyze` runs them. Reference, in the same run
on the same panel: one fit of the Python port of R's synthdid (`tests/synthdid_reference.py`;
pip install --no-deps synthdid), our one fit beside it; the ratio is what to compare. The port's
placebo standard error refits once per draw, so the full placebo would cost it about 200 fits.

Run:  python benchmarks/speed_sdid.py [--donors 200] [--kpis 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.calibration_sdid import N_PRE, PERIODS, simulate_portfolio  # noqa: E402
from benchmarks.speed_panel import best_of  # noqa: E402
from valueproof.stats.placebo import placebo_inference, pre_period_dip  # noqa: E402
from valueproof.stats.synthdid import synthetic_did  # noqa: E402


def analyse(panels: list[np.ndarray]) -> list[float]:
    """Every KPI as the stats stage runs it: the fit, its placebos, the dip check."""
    from threadpoolctl import threadpool_limits

    p_values = []
    with threadpool_limits(limits=1, user_api="blas"):
        for Y in panels:
            fit = synthetic_did(Y, N_PRE)
            placebo = placebo_inference(Y, N_PRE, fit, alpha=0.05)
            pre_period_dip(Y, N_PRE, fit, placebo)
            p_values.append(placebo.p_value)
    return p_values


def one_fit(Y: np.ndarray) -> float:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return synthetic_did(Y, N_PRE).estimate


def main() -> None:
    from tests.synthdid_reference import reference_fit

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--donors", type=int, default=200)
    parser.add_argument("--kpis", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    panels = [simulate_portfolio(rng, args.donors + 1) for _ in range(args.kpis)]
    total = best_of(lambda: analyse(panels))
    cpu = time.process_time()
    analyse(panels)
    cpu = time.process_time() - cpu
    ours = best_of(lambda: one_fit(panels[0]))
    theirs = best_of(lambda: reference_fit(panels[0], N_PRE), repeats=1)
    ours_estimate, theirs_estimate = one_fit(panels[0]), reference_fit(panels[0], N_PRE)[0]
    print(f"{args.donors} donors x {PERIODS} weeks ({N_PRE} before), {args.kpis} KPIs, full placebo: "
          f"{total:.2f} s wall, best of 3 ({cpu:.2f} s CPU; target 5 s)")
    print(f"one fit: ours {ours * 1000:.0f} ms, synthdid (Python port of R) {theirs * 1000:.0f} ms, "
          f"ratio {theirs / ours:.1f}x; estimates {ours_estimate:.4f} and {theirs_estimate:.4f}")
    print(f"the port's full placebo would refit {args.donors} times: about {args.donors * theirs:.0f} s "
          f"per KPI")


if __name__ == "__main__":
    main()
