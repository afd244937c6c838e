"""Calibration of the ROI's range: does the 95% range of the total benefit cover the true total
95% of the time, with 1, 2 and 5 benefits on correlated and on independent KPIs?

The accounts are simulated by `tests/simulate_roi.py` and analysed as `valueproof analyze`
does. Per row: the coverage of the total's range (with its Monte Carlo SE), how the range was
found (joint covariance, the one KPI's own interval, the randomization test of the total, or
Bonferroni), the coverage the old range had (every benefit at an end of its own 95% interval)
and the median width of the new range relative to the old.

Run:  python benchmarks/calibration.py --only roi [--simulations 500]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.simulate_roi import Design, simulate_roi  # noqa: E402

DESIGNS = [
    Design("1 benefit", 1, 0.0),
    Design("2 benefits, independent", 2, 0.0),
    Design("2 benefits, correlated", 2, 0.7),
    Design("2 benefits, correlated, adding up", 2, 0.7, aligned=True),
    Design("5 benefits, independent", 5, 0.0),
    Design("5 benefits, correlated", 5, 0.6),
    Design("5 benefits, correlated, one a rate", 5, 0.6, rate=True),
    Design("5 benefits, correlated, 8 vs 40", 5, 0.6, treated=8, control=40),
    Design("5 benefits, correlated, waves 5+5+5 vs 15", 5, 0.6, control=15, waves=(5, 5, 5)),
    Design("2 benefits, correlated, 3 vs 30", 2, 0.7, treated=3, control=30),
    Design("2 benefits, correlated, 3 vs 30, one a rate", 2, 0.7, treated=3, control=30,
           rate=True),
    Design("2 benefits, correlated, waves 1+2 vs 30", 2, 0.7, control=30, waves=(1, 2)),
]


def roi_table(n: int, rng: np.random.Generator, designs=DESIGNS) -> None:
    print(f"ROI range: {n} simulations per row; 95% range of the total benefit")
    print("| design | benefits | KPI correlation | range | coverage (MC SE) | old range's "
          "coverage | width vs old |")
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: |")
    for design in designs:
        row = simulate_roi(design, n, rng)
        print(f"| {design.label} | {design.benefits} | {design.corr} | {row['method']} | "
              f"{row['coverage']:.1%} ({row['mc_se']:.1%}) | {row['old']:.1%} | "
              f"{row['width']:.2f} |", flush=True)
