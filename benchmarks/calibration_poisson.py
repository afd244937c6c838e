"""Calibration of `kpis[].model: poisson` by simulation: `python benchmarks/calibration.py
--only poisson` (or this file alone).

Count panels (tests/simulate_counts.py): Poisson counts around unit levels (gamma, shape 2),
period levels and a within-unit AR(1) log-normal frailty, so the counts are overdispersed and
serially correlated as real activity counts are; parallel trends hold on the ratio scale. For
each design and SE type, what `analyze` reports for the KPI: the model's t test and interval,
or with 1-3 treated units (a group under 5) the permutation test and its inverted rate-ratio
interval. Columns: false positives under a true rate ratio of 1 (among runs where a verdict is
possible), coverage of a true rate ratio of 1.25 by the 95% interval, the geometric mean of the
estimated ratios (truth 1.25), false detections of the pre-trend check (log-linear trends) under
parallel trends and its detections of a real difference in growth of 10% per period before the
rollout, and the average number of units left out for having no events.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.simulate_counts import COUNT_KPI, count_panel  # noqa: E402
from valueproof.errors import DataError  # noqa: E402
from valueproof.stats import did, poisson_kpi  # noqa: E402
from valueproof.stats.permutation import permutation_pvalues  # noqa: E402

TRUE_RATIO = 1.25
TREND = 0.10  # log points per period: the real pre-trend the check should find

DESIGNS = [  # treated, control, periods, pre periods, events per unit-period, rho, sigma, SEs
    (5, 25, 12, 6, 0.4, 0.5, 0.5, ("cluster", "cr1")),
    (20, 20, 12, 6, 0.4, 0.5, 0.5, ("cluster", "cr1", "iid")),
    (20, 20, 26, 13, 0.4, 0.5, 0.5, ("cluster",)),
    (20, 20, 12, 6, 0.4, 0.0, 0.0, ("cluster", "iid")),
    (5, 5, 12, 6, 2.0, 0.5, 0.5, ("cluster", "cr1")),
    (10, 40, 12, 6, 2.0, 0.8, 0.5, ("cluster", "cr1")),
    (3, 30, 12, 6, 0.4, 0.5, 0.5, ("cluster",)),
    (2, 20, 12, 6, 2.0, 0.5, 0.5, ("cluster",)),
    (1, 19, 12, 6, 2.0, 0.5, 0.5, ("cluster",)),
    (100, 100, 26, 13, 0.4, 0.5, 0.5, ("cluster",)),
]


def reported(panel, se: str, seed: int, alpha: float = 0.05, draws: int = 2000):
    """(p, log-ratio low, high, verdict possible, estimate) as `analyze` reports them."""
    data = did.KPIData(panel, COUNT_KPI, True)
    estimate = poisson_kpi.main_estimate(data, se)
    n = data.n_units()
    if n["treatment"] <= 3 or min(n.values()) < 5:
        treated = np.zeros(len(panel.unit_names), bool)
        treated[panel.unit[panel.treated]] = True
        sums = did.unit_sums(data, len(treated))
        p = permutation_pvalues([sums], treated, draws, seed)[0][0]
        low, high, smallest = poisson_kpi.ratio_interval(
            poisson_kpi.ratio_draws(sums, treated, draws, seed), alpha)
        return p, low, high, smallest < alpha, estimate
    t = did.t_critical(alpha, estimate.df)
    p = float(2 * stats.t.sf(abs(estimate.effect / estimate.se), estimate.df))
    return (p, estimate.effect - t * estimate.se, estimate.effect + t * estimate.se, True,
            estimate)


def pre_trend_status(panel, se: str) -> str:
    data = did.KPIData(panel, COUNT_KPI, True)
    cells, post = data.cells()
    return poisson_kpi.log_trend(data, cells, post, se, 0.05).status


def simulate(design, se: str, n: int, rng: np.random.Generator) -> dict:
    treated, control, periods, pre, rate, rho, sigma, _ = design
    make = lambda **kw: count_panel(rng, treated, control, periods, pre, rate,  # noqa: E731
                                    rho=rho, sigma=sigma, **kw)
    reject = verdicts = cover = covered_runs = failed = null_failed = pre_fail = pre_found = 0
    pre_tested = found_tested = 0
    logs, zero_units = [], []
    for i in range(n):
        null = make()
        try:
            p, _, _, possible, estimate = reported(null, se, i)
        except DataError:  # the rate ratio cannot be estimated (no events on a side)
            failed += 1
            null_failed += 1
            continue
        verdicts += possible
        reject += possible and p < 0.05
        zero_units.append(estimate.zero_units)
        status = pre_trend_status(null, se)
        pre_tested += status != "not_testable"
        pre_fail += status == "detected"
        try:
            _, low, high, _, estimate = reported(make(ratio=TRUE_RATIO), se, i)
        except DataError:
            failed += 1
            continue
        covered_runs += 1
        cover += low <= np.log(TRUE_RATIO) <= high
        logs.append(estimate.effect)
        status = pre_trend_status(make(pre_trend=TREND), se)
        found_tested += status != "not_testable"
        pre_found += status == "detected"
    return {"fp": reject / max(verdicts, 1), "cover": cover / max(covered_runs, 1),
            "ratio": float(np.exp(np.mean(logs))), "pre_fp": pre_fail / max(pre_tested, 1),
            "pre_power": pre_found / max(found_tested, 1), "zero": float(np.mean(zero_units)),
            "no_verdict": 1 - verdicts / max(n - null_failed, 1),
            "failed": failed / (2 * n - null_failed)}


def main(simulations: int = 400, seed: int = 20240601, periods: int | None = None) -> None:
    """The table; `periods` keeps only the designs with that many periods."""
    rng = np.random.default_rng(seed)
    print(f"model: poisson, {simulations} simulations per row (seed {seed}); alpha 0.05, "
          f"true rate ratio {TRUE_RATIO} for coverage, a {TREND:.0%} per period difference in "
          "growth for pre-trend power")
    print("| treated / control | periods (pre) | events per unit-period | frailty rho, sd | SE | "
          "false positives | RR coverage | geometric mean RR (1.25) | pre-trend false detections "
          "| pre-trend power (10%/period) | units without events | no verdict possible | not "
          "estimable |")
    print("| ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | "
          "---: |")
    for design in DESIGNS:
        if periods is not None and design[2] != periods:
            continue
        treated, control, length, pre, rate, rho, sigma, ses = design
        for se in ses:
            r = simulate(design, se, simulations, rng)
            print(f"| {treated} / {control} | {length} ({pre}) | {rate} | {rho}, {sigma} | {se} "
                  f"| {r['fp']:.1%} | {r['cover']:.1%} | {r['ratio']:.3f} | {r['pre_fp']:.1%} | "
                  f"{r['pre_power']:.0%} | {r['zero']:.1f} | {r['no_verdict']:.0%} | "
                  f"{r['failed']:.1%} |", flush=True)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--simulations", type=int, default=400)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--periods", type=int, help="only the designs with this many periods")
    args = parser.parse_args()
    main(args.simulations, args.seed, args.periods)
