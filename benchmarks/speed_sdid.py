"""Benchmark: synthetic DiD for 1 account against 200 donors, 52 weeks (26 before the rollout),
5 KPIs, with the full placebo inference (every donor treated in turn, SC and DiD placebos too) and
the dip check — the issue's target is 5 s.

Ours: `synthetic_did` + `placebo_inference` + `pre_period_dip` per KPI (`stats.synthdid`,
`stats.placebo`), BLAS on one thread as `valueproof analyze` runs them. Reference, in the same run
on the same panel: one fit of the Python port of R's synthdid (`tests/synthdid_reference.py`;
pip install --no-deps synthdid), our one fit beside it; the ratio is what to compare. The port's
placebo standard error refits once per draw, so the full placebo would cost it about 200 fits.

End to end, as a user runs it: `valueproof analyze --json` in a subprocess on files of the same
size (the account's 10 teams and the 200 donors' weekly rows as CSV, 5 KPIs), beside
`valueproof --version` (the import floor) in the same run.

Run:  python benchmarks/speed_sdid.py [--donors 200] [--kpis 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.calibration_sdid import N_PRE, PERIODS, simulate_portfolio
from benchmarks.speed_panel import best_of
from valueproof.stats.placebo import placebo_inference, pre_period_dip
from valueproof.stats.synthdid import synthetic_did


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


def write_account(folder: Path, panels: list[np.ndarray], rng: np.random.Generator) -> Path:
    """The panels as files: the last row the account (10 teams around it), the others donors."""
    import pandas as pd
    import yaml

    rollout = dt.date(2026, 3, 2)
    weeks = [rollout + dt.timedelta(weeks=k - N_PRE) for k in range(PERIODS)]
    kpis = [f"kpi_{k}" for k in range(len(panels))]
    values = np.stack(panels)  # (KPIs, accounts, weeks)
    donors = pd.DataFrame({"account": np.repeat([f"acct-{j:03d}" for j in range(values.shape[1] - 1)],
                                                PERIODS),
                           "week": weeks * (values.shape[1] - 1)})
    teams = pd.DataFrame({"team": np.repeat([f"T{t}" for t in range(10)], PERIODS),
                          "week": weeks * 10})
    for k, kpi in enumerate(kpis):
        donors[kpi] = values[k, :-1].ravel()
        teams[kpi] = np.tile(values[k, -1], 10) + rng.normal(0, 1, len(teams))
    donors.to_csv(folder / "donors.csv", index=False)
    teams.to_csv(folder / "teams.csv", index=False)
    definition = {
        "name": "Speed", "data": {"path": "teams.csv", "unit": "team", "time": "week"},
        "rollout": rollout.isoformat(),
        "pre": {"start": weeks[0].isoformat(), "end": (rollout - dt.timedelta(days=1)).isoformat()},
        "post": {"start": rollout.isoformat(), "end": (weeks[-1] + dt.timedelta(days=6)).isoformat()},
        "comparison": {"donors": {"path": "donors.csv", "unit": "account", "time": "week"}},
        "analysis": {"period": "week"},
        "kpis": [{"id": kpi, "label": kpi, "column": kpi, "better": "higher"} for kpi in kpis],
    }
    path = folder / "experiment.yaml"
    path.write_text(yaml.safe_dump(definition, sort_keys=False))
    return path


def command_seconds(*args: str) -> tuple[float, float]:
    """Best of 3 (wall, CPU) seconds of `valueproof ARGS` in a subprocess (it must succeed)."""
    runs = []
    for _ in range(3):
        before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        subprocess.run([sys.executable, "-m", "valueproof", *args], check=True,
                       stdout=subprocess.DEVNULL)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        runs.append((time.perf_counter() - start, after.ru_utime + after.ru_stime
                     - before.ru_utime - before.ru_stime))
    return min(runs)


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
    with tempfile.TemporaryDirectory() as folder:
        path = write_account(Path(folder), panels, rng)
        analyze = command_seconds("analyze", str(path), "--json", str(Path(folder) / "r.json"))
        floor = command_seconds("--version")
    print(f"end to end: valueproof analyze --json {analyze[0]:.2f} s wall, {analyze[1]:.2f} s CPU, "
          f"best of 3 (import floor valueproof --version {floor[0]:.2f} s; target 5 s)")


if __name__ == "__main__":
    main()
