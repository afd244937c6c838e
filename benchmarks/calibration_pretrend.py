"""Calibration of the pre-trend check (`python benchmarks/calibration.py --only pretrend`).

Parallel trends hold (a true null) in lopsided pilots with AR(1) errors, 6 weeks before and 6
after the rollout, and in a rate KPI whose denominators differ tenfold across 20 against 20
units: how often the check says `detected` (false detections, with their Monte Carlo SE), which
test decided, and its power against a real linear pre-trend (the treated units drift by
`slope` per period against the others, before and after) with the trend it says it could
have detected with 80% power (mean over the null runs). Seeded; one process.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.simulate import SIM_KPI, ar1_panel  # noqa: E402
from tests.simulate_rate import RATE_KPI, rate_panel, with_trend  # noqa: E402
from valueproof.stats import did, event_study  # noqa: E402

SLOPE = 0.2  # per period, in units of the AR(1) innovations' SD
RATE_SLOPE = 0.5  # per period on the rate's latent scale: 0.015 (1.5 points) of the rate
TABLES = {  # label, treated, control, periods (pre), rho, kind
    # the lopsided pilots and the rate with tenfold denominators (`--only pretrend`)
    "lopsided": [
        *[(f"{t} / {c}", t, c, (12, 6), rho, "ar1")
          for t, c in ((6, 30), (8, 40), (12, 60), (20, 200)) for rho in (0.0, 0.5, 0.8)],
        *[("20 / 20 rate", 20, 20, (12, 6), rho, "rate") for rho in (0.0, 0.5, 0.8)],
        *[(f"{t} / {c}", t, c, (12, 6), 0.5, "ar1") for t, c in ((3, 30), (10, 10), (50, 50))],
    ],
    # the designs of the common-rollout table (`python benchmarks/calibration_pretrend.py N common`)
    "common": [(f"{t} / {c}", t, c, periods, rho, "ar1") for t, c, periods, rho in (
        (2, 2, (12, 6), 0.8), (3, 3, (12, 6), 0.8), (5, 5, (12, 6), 0.8), (5, 25, (12, 6), 0.8),
        (3, 100, (12, 6), 0.8), (1, 19, (12, 6), 0.8), (10, 10, (12, 6), 0.8),
        (25, 25, (12, 6), 0.8), (25, 25, (26, 13), 0.5), (100, 100, (12, 6), 0.8))],
    # where units are not exchangeable: the treated units noisier (twice the SD) or their rate's
    # denominators ten times smaller than the others' (`... N stress`)
    "stress": [("6 / 30, treated SD × 2", 6, 30, (12, 6), 0.5, "noisy"),
               ("12 / 60, treated SD × 2", 12, 60, (12, 6), 0.5, "noisy"),
               ("6 / 30 rate, treated 10× smaller", 6, 30, (12, 6), 0.5, "rate_small"),
               ("20 / 20 rate, treated 10× smaller", 20, 20, (12, 6), 0.5, "rate_small")],
}


def _panel(rng, treated, control, periods, rho, kind, trend):
    T, pre = periods
    if kind.startswith("rate"):
        return rate_panel(rng, treated, control, T, pre, rho, trend=trend,
                          small_treated=kind == "rate_small")
    panel = ar1_panel(rng, treated + control, T, pre, rho,
                      treated_share=treated / (treated + control))
    if kind == "noisy":  # the treated units' AR(1) errors twice as large (variance 1 + 3)
        G = treated + control
        extra = np.empty((G, T))
        extra[:, 0] = rng.normal(0, 1 / np.sqrt(1 - rho**2), G)
        for t in range(1, T):
            extra[:, t] = rho * extra[:, t - 1] + rng.normal(0, 1, G)
        panel.values["y"] = panel.values["y"] + np.sqrt(3) * extra.ravel() * panel.treated
    return with_trend(panel, trend, pre) if trend else panel


def simulate(treated, control, periods, rho, kind, n, rng):
    """(false detections, tests that decided, power at the slope, mean detectable trend)."""
    kpi = RATE_KPI if kind.startswith("rate") else SIM_KPI
    slope = RATE_SLOPE if kind.startswith("rate") else SLOPE
    detected = power = 0
    tests, detectable = Counter(), []
    for i in range(n):
        panel = _panel(rng, treated, control, periods, rho, kind, 0.0)
        check = event_study.event_study(did.KPIData(panel, kpi, True), "cluster", 0.05, 2000, i)[0]
        detected += check.status == "detected"
        tests[check.method or check.status] += 1
        if check.detectable_trend is not None:
            detectable.append(check.detectable_trend)
        panel = _panel(rng, treated, control, periods, rho, kind, slope)
        check = event_study.event_study(did.KPIData(panel, kpi, True), "cluster", 0.05, 2000, i)[0]
        power += check.status == "detected"
    return detected / n, tests, power / n, float(np.mean(detectable)) if detectable else None


def pretrend_table(n: int, table: str = "lopsided") -> None:
    seeds = {"lopsided": 20240623, "common": 20240624, "stress": 20240625}
    rng = np.random.default_rng(seeds[table])
    print(f"Pre-trend check ({table}): {n} simulations per row; alpha 0.05; power at a drift "
          f"of {SLOPE} per period (AR(1) rows: innovation SD 1) or {RATE_SLOPE * 0.03:.3f} of "
          "the rate per period (rate rows)")
    print("| treated / control | periods (pre) | rho | decided by | false detections (± MC SE) "
          "| power at the drift | detectable trend (80%) |")
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: |")
    for label, treated, control, periods, rho, kind in TABLES[table]:
        rate, tests, power, detectable = simulate(treated, control, periods, rho, kind, n, rng)
        se = np.sqrt(rate * (1 - rate) / n)
        how = ", ".join(f"{name} {count / n:.0%}" for name, count in tests.most_common())
        size = "–" if detectable is None else (
            f"{detectable * 100:.2f} points" if kind.startswith("rate") else f"{detectable:.2f}")
        print(f"| {label} | {periods[0]} ({periods[1]}) | {rho} | {how} | {rate:.1%} (± {se:.1%}) "
              f"| {power:.0%} | {size} |", flush=True)


if __name__ == "__main__":
    pretrend_table(int(sys.argv[1]) if len(sys.argv) > 1 else 1000,
                   sys.argv[2] if len(sys.argv) > 2 else "lopsided")
