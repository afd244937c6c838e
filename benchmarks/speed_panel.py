"""Benchmark (a): one KPI on 100,000 units x 12 periods with cell weights, ours against pyfixest.

Ours: the whole per-KPI analysis (weighted two-way fixed-effects estimate + CR2 standard error with Bell-McCaffrey df +
event study with the joint pre-trend test). Reference: pyfixest.feols("y ~ D | unit + period",
weights="w", vcov={"CRV1": "unit"}), the estimate and cluster SE alone, on the same cells. Both in
the same run; the ratio is what to compare.

Run:  python benchmarks/speed_panel.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.simulate import SIM_KPI, ar1_panel  # noqa: E402
from valueproof.stats import did, event_study  # noqa: E402


def ours(panel, se: str = "cluster") -> float:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):  # as `valueproof analyze` runs it
        data = did.KPIData(panel, SIM_KPI, has_control=True)
        estimate = did.main_estimate(data, se)
        event_study.event_study(data, se, 0.05)
        return estimate.effect


def best_of(function, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    import pandas as pd
    import pyfixest

    panel = ar1_panel(np.random.default_rng(1), n_units=100_000, n_periods=12, n_pre=6,
                      rho=0.5, effect=0.1)
    # observations per cell (the weights): busy and quiet units
    panel.counts["y"][:] = np.random.default_rng(2).integers(1, 40, len(panel.unit))
    frame = pd.DataFrame({"y": panel.values["y"], "unit": panel.unit, "period": panel.period,
                          "D": (panel.treated & panel.post).astype(float),
                          "w": panel.counts["y"].astype(float)})
    fixest = lambda: pyfixest.feols("y ~ D | unit + period", data=frame,  # noqa: E731
                                    weights="w", vcov={"CRV1": "unit"})
    fixest()  # warm-up (numba compilation)
    ours_s, theirs_s = best_of(lambda: ours(panel)), best_of(fixest)
    cr1_s = best_of(lambda: ours(panel, "cr1"))
    model = fixest()
    print(f"panel: 100,000 units x 12 periods = {len(frame):,} weighted cells")
    print(f"estimates: ours {ours(panel):.6f}, pyfixest {model.coef()['D']:.6f}")
    print(f"valueproof (estimate + CR2 + event study + pre-trend test): {ours_s:.3f} s")
    print(f"pyfixest feols y ~ D | unit + period, weights, CRV1:         {theirs_s:.3f} s")
    print(f"valueproof with se: cr1 (the same SE as pyfixest):           {cr1_s:.3f} s")
    print(f"ratio ours / pyfixest: CR2 {ours_s / theirs_s:.2f}, CR1 {cr1_s / theirs_s:.2f}")


if __name__ == "__main__":
    main()
