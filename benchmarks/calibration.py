"""Calibration by simulation, the long version (the test suite runs a short one).

For AR(1) panels with unit and period effects (Bertrand, Duflo & Mullainathan 2004), reports
per configuration and standard-error type (`cluster` = CR2 with Bell-McCaffrey df, `cr1`, `iid`):
the false-positive rate of the model's DiD test under a true null, the coverage of the 95%
interval, and the false-positive rate of the pre-trend test. Small and lopsided designs (2 vs 2,
3 vs 100) are the ones customers really have.

For 1-3 pilot units (or a group under 5) the figures are those of what the tool reports there:
the permutation test and its inverted interval. The power column simulates a true effect equal
to the average MDE the tool reported under the null (one KPI, so alpha is not divided).

Rollouts in waves (Callaway-Sant'Anna, group aggregation) get their own table: 20-50 units in
2-3 waves with a never-treated group, and pilots of 1-3 units in waves against many, where the
re-assignment of rollout dates leads.

The ROI's range (`--only roi`, in `calibration_roi.py`): coverage of the true total benefit with
1, 2 and 5 benefits on correlated and independent KPIs.

Count KPIs with `model: poisson` (`--only poisson`, in `calibration_poisson.py`): false
positives, coverage of the rate ratio and the log-trend pre-trend check on overdispersed,
serially correlated counts, sparse (0.4 per unit-period) and lopsided (5 against 25).

Goals (`--only criteria`, in `calibration_goals.py`): how often a goal is marked achieved when
it is truly missed by 20%, met exactly, or beaten twice over; `--only nps`: the exact coverage of
the NPS interval and of its change between quarters (no simulation).

Counts from event rows (`--only counts`, in `calibration_counts.py`): the bias of a count's
effect when most unit-weeks have no row (0.4 events per unit-week), on the full grid, with its
Monte Carlo SE, at 20/20 and 100/100, in waves, and with units that leave (with and without a
roster).

The pre-trend check (`--only pretrend`, in `calibration_pretrend.py`): false detections under
parallel trends in lopsided pilots (6/30, 8/40, 12/60, 20/200; AR(1) rho 0, 0.5, 0.8) and a rate
KPI with tenfold denominators (20/20), which test decided, and power against a linear drift.

Run:  python benchmarks/calibration.py [--simulations 1000]
                                       [--only waves|common|roi|poisson|criteria|nps|counts|pretrend]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.simulate import SIM_KPI, ar1_panel, staggered_panel  # noqa: E402
from valueproof.config.kpis import Analysis  # noqa: E402
from valueproof.stats import did, event_study, waves  # noqa: E402
from valueproof.stats.permutation import inversion_interval, permutation_pvalues  # noqa: E402

CONFIGS = [  # treated units, control units, periods, pre periods, AR(1) rho, SE types
    (2, 2, 12, 6, 0.8, ("cluster", "cr1")),
    (3, 3, 12, 6, 0.8, ("cluster", "cr1")),
    (5, 5, 12, 6, 0.8, ("cluster", "cr1")),
    (5, 25, 12, 6, 0.8, ("cluster", "cr1")),
    (3, 100, 12, 6, 0.8, ("cluster", "cr1")),
    (1, 19, 12, 6, 0.8, ("cluster", "cr1")),
    (10, 10, 12, 6, 0.8, ("cluster", "cr1", "iid")),
    (25, 25, 12, 6, 0.8, ("cluster", "cr1", "iid")),
    (25, 25, 26, 13, 0.5, ("cluster", "iid")),
    (100, 100, 12, 6, 0.8, ("cluster", "iid")),
]


def reported(data: did.KPIData, se: str, treated: np.ndarray, seed: int):
    """(p, low, high, MDE, detectable) as `valueproof analyze` reports them: the model's test,
    or with few pilot units the permutation test and its inverted interval."""
    estimate = did.main_estimate(data, se)
    n = data.n_units()
    mde = did.power_mde(estimate.se, estimate.df, 0.05)
    if n["treatment"] <= 3 or min(n.values()) < 5:
        sums = did.unit_sums(data, len(treated))
        p = permutation_pvalues([sums], treated, 2000, seed)[0][0]
        _, low, high, smallest = inversion_interval(sums, treated, 2000, seed, 0.05)
        if smallest < 0.05 and low is not None and high is not None:  # as analyze reports it
            z = stats.norm.ppf(0.975)
            mde = (high - low) / 2 * (z + stats.norm.ppf(did.POWER)) / z
        return p, low, high, mde, smallest < 0.05
    t = stats.t.ppf(0.975, estimate.df)
    p = 2 * stats.t.sf(abs(estimate.effect / estimate.se), estimate.df)
    return p, estimate.effect - t * estimate.se, estimate.effect + t * estimate.se, mde, True


def simulate(treated, control, periods, pre, rho, se, n, rng, effect=0.5):
    """False positives (of the detectable runs), coverage of `effect`, pre-trend false
    detections, power at the average reported MDE, and the share of runs with no possible
    verdict ("not detectable with this design")."""
    units, share = treated + control, treated / (treated + control)
    flags = np.arange(units) < max(1, int(round(units * share)))
    panel = lambda e: ar1_panel(rng, units, periods, pre, rho, effect=e, treated_share=share)  # noqa: E731
    reject = cover = pre_fail = pre_tested = undetectable = 0
    mdes = []
    for i in range(n):
        data = did.KPIData(panel(0.0), SIM_KPI, True)
        p, _, _, mde, detectable = reported(data, se, flags, i)
        undetectable += not detectable
        reject += detectable and p < 0.05
        mdes.append(mde)
        trend = event_study.event_study(data, se, 0.05)[0]
        pre_tested += trend.status != "not_testable"
        pre_fail += trend.status == "detected"
        _, low, high, _, _ = reported(did.KPIData(panel(effect), SIM_KPI, True), se, flags, i)
        cover += (low is None or low <= effect) and (high is None or effect <= high)
    mde = float(np.nanmean(mdes)) if undetectable < n else float("nan")  # no MDE is shown
    power = 0
    for i in range(n if np.isfinite(mde) else 0):
        p, *_, detectable = reported(did.KPIData(panel(mde), SIM_KPI, True), se, flags, i)
        power += detectable and p < 0.05
    detectable_runs = max(n - undetectable, 1)
    return (reject / detectable_runs, cover / n, pre_fail / max(pre_tested, 1),
            power / n if np.isfinite(mde) else float("nan"), undetectable / n)


WAVE_CONFIGS = [  # units per wave, never-treated units, periods, rho, comparison
    ((5, 5), 10, 12, 0.8, "never_treated"),
    ((5, 5, 5), 15, 12, 0.8, "never_treated"),
    ((4, 4, 4), 8, 12, 0.8, "never_treated"),
    ((10, 10), 30, 12, 0.8, "never_treated"),
    ((8, 8, 8), 26, 16, 0.5, "never_treated"),
    ((2, 2, 2), 40, 12, 0.8, "never_treated"),
    ((1, 2), 60, 12, 0.8, "never_treated"),
    ((2, 2), 10, 12, 0.8, "never_treated"),
    # few never-treated units: the last wave's only comparison after its rollout
    ((5, 5), 5, 12, 0.8, "not_yet_treated"),
    ((10, 10), 5, 12, 0.8, "not_yet_treated"),
    ((5, 5, 5), 5, 12, 0.8, "not_yet_treated"),
    ((8, 8, 8), 5, 16, 0.5, "not_yet_treated"),
]


def simulate_waves(sizes, never, periods, rho, n, rng, effect=0.5, comparison="never_treated"):
    """False positives, coverage of `effect`, pre-trend false detections of the headline
    (group aggregation) as `analyze` reports it, and which inference it used."""
    settings = Analysis(comparison=comparison)
    reject = cover = pre_fail = pre_tested = 0
    inference = set()
    for _ in range(n):
        fit = waves.estimate_kpi(staggered_panel(rng, sizes, never, periods, rho=rho),
                                 SIM_KPI, settings, 0.05)
        inference.add(fit["inference"])
        reject += fit["p_value"] < 0.05
        pre_tested += fit["pre_trend"].status != "not_testable"
        pre_fail += fit["pre_trend"].status == "detected"
        fit = waves.estimate_kpi(staggered_panel(rng, sizes, never, periods, rho=rho,
                                                 effect=effect), SIM_KPI, settings, 0.05)
        cover += fit["ci_low"] <= effect <= fit["ci_high"]
    return reject / n, cover / n, pre_fail / max(pre_tested, 1), "/".join(sorted(inference))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--simulations", type=int, default=1000)
    parser.add_argument("--only", choices=["waves", "common", "roi", "poisson", "criteria",
                                           "nps", "counts", "pretrend"])
    args = parser.parse_args()
    rng = np.random.default_rng(20240601)
    if args.only == "pretrend":  # the pre-trend check (`calibration_pretrend`)
        from calibration_pretrend import pretrend_table

        pretrend_table(args.simulations)
        return
    if args.only == "counts":  # counts from event rows on the full grid (`calibration_counts`)
        from calibration_counts import counts_table

        counts_table(args.simulations)
        return
    if args.only in ("criteria", "nps"):  # goals and NPS (`calibration_goals`)
        from calibration_goals import criteria_table, nps_table

        if args.only == "criteria":
            criteria_table(args.simulations)
        else:
            nps_table()
        return
    if args.only == "poisson":  # count KPIs with model: poisson (`calibration_poisson`)
        from calibration_poisson import main as poisson_table

        poisson_table(args.simulations)
        return
    if args.only == "roi":  # the ROI's range (`calibration_roi`)
        from calibration_roi import roi_table

        roi_table(args.simulations, rng)
        return
    if args.only != "common":
        print(f"Rollouts in waves: {args.simulations} simulations per row; group aggregation")
        print("| units per wave | never treated | comparison | periods | rho | inference "
              "| false positives | CI coverage | pre-trend false detections |")
        print("| --- | ---: | --- | ---: | ---: | --- | ---: | ---: | ---: |")
        for sizes, never, periods, rho, comparison in WAVE_CONFIGS:
            fp, cover, pre_fp, how = simulate_waves(sizes, never, periods, rho,
                                                    args.simulations, rng,
                                                    comparison=comparison)
            print(f"| {' + '.join(map(str, sizes))} | {never} | {comparison} | {periods} | "
                  f"{rho} | {how} | {fp:.1%} | {cover:.1%} | {pre_fp:.1%} |", flush=True)
        if args.only == "waves":
            return
    print(f"{args.simulations} simulations per row; alpha 0.05, 95% intervals, one KPI")
    print("| treated / control | periods (pre) | rho | SE | false positives | CI coverage | "
          "pre-trend false detections | power at the MDE | no verdict possible |")
    print("| ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for treated, control, periods, pre, rho, ses in CONFIGS:
        for se in ses:
            fp, cover, pre_fp, power, none = simulate(treated, control, periods, pre, rho, se,
                                                      args.simulations, rng)
            print(f"| {treated} / {control} | {periods} ({pre}) | {rho} | {se} | {fp:.1%} | "
                  f"{cover:.1%} | {pre_fp:.1%} | "
                  f"{'–' if np.isnan(power) else f'{power:.0%}'} | {none:.0%} |", flush=True)

if __name__ == "__main__":
    main()
