"""Calibration by simulation, the long version (the test suite runs a short one).

For AR(1) panels with unit and period effects (Bertrand, Duflo & Mullainathan 2004), reports
per configuration and standard-error type (`cluster` = CR2 with Bell-McCaffrey df, `cr1`, `iid`):
the false-positive rate of the model's DiD test under a true null, the coverage of the 95%
interval, and the false-positive rate of the pre-trend test. Small and lopsided designs (2 vs 2,
3 vs 100) are the ones customers really have.

Run:  python benchmarks/calibration.py [--simulations 2000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.simulate import SIM_KPI, ar1_panel  # noqa: E402
from valueproof.stats import did  # noqa: E402

CONFIGS = [  # treated units, control units, periods, pre periods, AR(1) rho, SE types
    (2, 2, 12, 6, 0.8, ("cluster", "cr1")),
    (3, 3, 12, 6, 0.8, ("cluster", "cr1")),
    (5, 5, 12, 6, 0.8, ("cluster", "cr1")),
    (5, 25, 12, 6, 0.8, ("cluster", "cr1")),
    (3, 100, 12, 6, 0.8, ("cluster", "cr1")),
    (10, 10, 12, 6, 0.8, ("cluster", "cr1", "iid")),
    (25, 25, 12, 6, 0.8, ("cluster", "cr1", "iid")),
    (25, 25, 26, 13, 0.5, ("cluster", "iid")),
    (100, 100, 12, 6, 0.8, ("cluster", "iid")),
]


def simulate(treated, control, periods, pre, rho, se, n, rng, effect=0.5):
    units, share = treated + control, treated / (treated + control)
    null_reject = cover = pre_fail = pre_tested = 0
    for _ in range(n):
        data = did.KPIData(ar1_panel(rng, units, periods, pre, rho, effect=0.0, treated_share=share), SIM_KPI, True)
        fit = did.main_estimate(data, se)
        estimate, error = fit.effect, fit.se
        null_reject += abs(estimate / error) > stats.t.ppf(0.975, fit.df)
        trend = did.event_study(data, se, 0.05)[0]
        pre_tested += trend.status != "not_testable"
        pre_fail += trend.status == "detected"
        data = did.KPIData(ar1_panel(rng, units, periods, pre, rho, effect=effect, treated_share=share), SIM_KPI, True)
        fit = did.main_estimate(data, se)
        estimate, error = fit.effect, fit.se
        t = stats.t.ppf(0.975, fit.df)
        cover += estimate - t * error <= effect <= estimate + t * error
    return null_reject / n, cover / n, pre_fail / max(pre_tested, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--simulations", type=int, default=2000)
    args = parser.parse_args()
    rng = np.random.default_rng(20240601)
    print(f"{args.simulations} simulations per row; alpha 0.05, 95% intervals")
    print("| treated / control | periods (pre) | rho | SE | false positives | CI coverage | "
          "pre-trend false positives |")
    print("| ---: | ---: | ---: | --- | ---: | ---: | ---: |")
    for treated, control, periods, pre, rho, ses in CONFIGS:
        for se in ses:
            fp, cover, pre_fp = simulate(treated, control, periods, pre, rho, se,
                                         args.simulations, rng)
            print(f"| {treated} / {control} | {periods} ({pre}) | {rho} | {se} | {fp:.1%} | "
                  f"{cover:.1%} | {pre_fp:.1%} |", flush=True)

if __name__ == "__main__":
    main()
