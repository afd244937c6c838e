"""Calibration of counts read from event rows: `python benchmarks/calibration.py --only counts`
(or this file alone).

The data are one row per event (a deal, a ticket): each unit's events per week are Poisson with
0.4 per unit-week, plus a true +0.3 per unit-week for treated units after the rollout (6 weeks
before, 6 after, default windows), so most unit-weeks have no row at all. Each row runs the data
stage as `analyze` does (a CSV, DuckDB, the panel) and the default estimate (CR2), and reports
the mean estimate, its bias against +0.3 with the Monte Carlo standard error (sd / sqrt(runs)),
the coverage of the 95% interval, the mean difference from the same difference-in-differences on
the complete unit-week counts (every unit, every week, zeros included: what the data stage must
reproduce; paired on the same runs, so its MC SE is far smaller), and what the same runs gave
with the rule before the full grid (each unit placed from its first to its last row in the
windows: its empty weeks at the edges dropped). Rows: groups in a file listing every unit, or in a column of the data (a unit with no
event at all is then never seen); a rollout in waves (Callaway-Sant'Anna, group aggregation);
and a quarter of the units leaving at a random day, with and without a roster of their dates.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.simulate_events import (event_rows, wave_event_rows, with_leavers,  # noqa: E402
                                   write_definition)
from valueproof.config import load_experiment  # noqa: E402
from valueproof.data import Panel, load_dataset  # noqa: E402
from valueproof.stats import did, waves  # noqa: E402

TRUTH = 0.3
DESIGNS = [  # label, treated, control, groups in a file, leavers (None, "roster", "no roster")
    ("20 / 20, groups file", 20, 20, True, None),
    ("20 / 20, group column", 20, 20, False, None),
    ("100 / 100, groups file", 100, 100, True, None),
    ("20 / 20, a quarter leave, roster", 20, 20, True, "roster"),
    ("20 / 20, a quarter leave, no roster", 20, 20, True, "no roster"),
]


def first_to_last(panel: Panel, kpi: str) -> Panel:
    """The panel as the rule before the full grid built it: each unit's cells from its first to
    its last cell with rows, in period order (the zero cells outside that span dropped)."""
    order = np.lexsort((panel.post, panel.period.view(np.int64), panel.unit))
    unit, rows = panel.unit[order], panel.counts[kpi][order] > 0
    keep = np.zeros(len(order), bool)
    for code in np.unique(unit):
        inside = np.flatnonzero(unit == code)
        busy = inside[rows[inside]]
        if len(busy):
            keep[busy[0]:busy[-1] + 1] = True
    chosen = order[keep]
    return Panel(panel.unit[chosen], panel.unit_names, panel.treated[chosen], panel.post[chosen],
                 panel.period[chosen], {k: v[chosen] for k, v in panel.values.items()},
                 {k: v[chosen] for k, v in panel.counts.items()},
                 {k: v[chosen] for k, v in panel.weights.items()}, panel.cohort)


def complete(frame, treated: int, control: int, weeks: int = 12, pre_weeks: int = 6) -> float:
    """The difference in differences of the complete unit-week counts of the rows (every unit,
    every week, zeros included)."""
    from tests.simulate_events import ROLLOUT

    start = np.datetime64(str(ROLLOUT)) - np.timedelta64(7 * pre_weeks, "D")
    week = ((frame["day"].to_numpy().astype("datetime64[D]") - start).astype(int)) // 7
    unit = frame["unit"].str[1:].astype(int).to_numpy()
    counts = np.zeros((treated + control, weeks))
    np.add.at(counts, (unit, week), 1)
    after = np.arange(weeks) >= pre_weeks
    change = counts[:, after].mean(axis=1) - counts[:, ~after].mean(axis=1)
    return float(change[:treated].mean() - change[treated:].mean())


def common_run(rng, folder: Path, treated: int, control: int, groups_file: bool, leavers):
    """(estimate, covered, estimate with the first-to-last rule, estimate minus that of the
    complete counts) of one simulated data set."""
    frame = event_rows(rng, treated, control, effect=TRUTH)
    full = complete(frame, treated, control) if not leavers else np.nan
    changes = {}
    if leavers:
        frame, roster = with_leavers(rng, frame, treated + control)
        if leavers == "roster":
            folder.mkdir(parents=True, exist_ok=True)
            roster.to_csv(folder / "roster.csv", index=False)
            changes["data"] = {"path": "events.csv", "unit": "unit", "time": "day",
                               "roster": {"path": "roster.csv"}}
    path = write_definition(folder, frame, treated, control, groups_file=groups_file, **changes)
    experiment = load_experiment(path)
    panel = load_dataset(experiment).panel
    kpi = experiment.kpis[0]
    estimate = did.main_estimate(did.KPIData(panel, kpi, True), "cluster")
    t = did.t_critical(0.05, estimate.df)
    covered = abs(estimate.effect - TRUTH) <= t * estimate.se
    before = did.main_estimate(did.KPIData(first_to_last(panel, kpi.id), kpi, True), "cluster")
    return estimate.effect, covered, before.effect, estimate.effect - full


def waves_run(rng, folder: Path):
    """The same for a rollout in waves: 10 + 10 units three weeks apart, 20 never treated."""
    import yaml

    rows, rollout = wave_event_rows(rng, effect=TRUTH)
    folder.mkdir(parents=True, exist_ok=True)
    rows.to_csv(folder / "events.csv", index=False)
    rollout.to_csv(folder / "waves.csv", index=False)
    (folder / "experiment.yaml").write_text(yaml.safe_dump({
        "name": "Waves", "data": {"path": "events.csv", "unit": "unit", "time": "day"},
        "rollout": {"file": "waves.csv"},
        "kpis": [{"id": "events", "aggregate": "count", "better": "higher"}]}))
    experiment = load_experiment(folder / "experiment.yaml")
    panel = load_dataset(experiment).panel
    kpi = experiment.kpis[0]
    fit = waves.estimate_kpi(panel, kpi, experiment.analysis, 0.05)
    before = waves.estimate_kpi(first_to_last(panel, kpi.id), kpi, experiment.analysis, 0.05)
    return (fit["estimate"].effect, fit["ci_low"] <= TRUTH <= fit["ci_high"],
            before["estimate"].effect, np.nan)


def _row(label: str, runs: list[tuple]) -> str:
    effect, covered, before, paired = (np.array(column, dtype=float) for column in zip(*runs))
    n = len(effect)
    bias, se = effect.mean() - TRUTH, effect.std(ddof=1) / np.sqrt(n)
    old = before.mean() - TRUTH
    gap = "–" if np.isnan(paired).all() else \
        f"{paired.mean():+.4f} (MC SE {paired.std(ddof=1) / np.sqrt(n):.4f})"
    return (f"| {label} | {n} | {effect.mean():.3f} | {bias:+.4f} ({bias / TRUTH:+.1%}) | "
            f"{se:.4f} ({se / TRUTH:.1%}) | {covered.mean():.1%} | {gap} | {before.mean():.3f} "
            f"({old / TRUTH:+.1%}) |")


def counts_table(simulations: int, seed: int = 20240601) -> None:
    rng = np.random.default_rng(seed)
    print(f"Counts from event rows: 0.4 events per unit-week, true effect +{TRUTH} per "
          f"unit-week, 6 + 6 weeks; {simulations} simulations per row (seed {seed})")
    print("| design | runs | mean estimate | bias (relative) | MC SE | CI coverage | "
          "minus complete counts | first-to-last rule (bias) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as folder:
        for label, treated, control, groups_file, leavers in DESIGNS:
            runs = [common_run(rng, Path(folder) / f"{label[:3]}{i}", treated, control,
                               groups_file, leavers) for i in range(simulations)]
            print(_row(label, runs), flush=True)
        runs = [waves_run(rng, Path(folder) / f"waves{i}") for i in range(simulations)]
        print(_row("waves 10 + 10, 20 never treated, rollout file", runs), flush=True)


if __name__ == "__main__":
    counts_table(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
