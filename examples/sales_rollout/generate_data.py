"""Generate the sales-tool rollout data (seeded, reproducible).

A Polish B2B distributor rolled a sales-engagement tool out to its Kraków and Gdańsk reps on
2026-05-04; the Warsaw and Poznań reps kept their old workflow. One row per rep and week
(week starting Monday), 2026-01-05 to 2026-09-28. Group assignment lives in a separate file.

True effects of the tool on the reps who got it:
- win rate (deals_won / deals_closed):  +5 percentage points (baseline about 24%)
- sales_cycle_days (mean per closed deal): -6 days (baseline about 46 days)
- deals_touched per week:               +1.5 deals (baseline about 12)

Reps differ persistently; each rep's weekly activity follows an AR(1) process (rho = 0.4); a shared
seasonal dip hits everybody in July and August.

Run:  python generate_data.py   (writes data/rep_weeks.parquet and data/assignment.csv)
"""

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 11
ROLLOUT = pd.Timestamp("2026-05-04")


def generate(seed: int = SEED, n_tool: int = 26, n_old: int = 34) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    weeks = pd.date_range("2026-01-05", "2026-09-28", freq="W-MON")
    season = np.where(weeks.month.isin([7, 8]), -1.5, 0.0) + rng.normal(0, 0.5, len(weeks))
    reps = [f"R{i:02d}" for i in range(1, n_tool + n_old + 1)]
    groups = ["tool"] * n_tool + ["legacy"] * n_old
    rows = []
    for rep, group in zip(reps, groups):
        level, cycle_level, form = rng.normal(0, 2.0), rng.normal(0, 5.0), 0.0
        for week, shock in zip(weeks, season):
            treated = group == "tool" and week >= ROLLOUT
            form = 0.4 * form + rng.normal(0, 1.0)
            touched = max(0, round(12 + level + shock + form + (1.5 if treated else 0)
                                   + rng.normal(0, 1.5)))
            closed = rng.poisson(3.0) + 1
            won = rng.binomial(closed, 0.24 + (0.05 if treated else 0.0))
            cycle = max(5.0, rng.normal(46 + cycle_level + shock - (6 if treated else 0), 8))
            rows.append((rep, week.date(), touched, closed, won, round(cycle, 1)))
    data = pd.DataFrame(rows, columns=["rep_id", "week", "deals_touched", "deals_closed",
                                       "deals_won", "sales_cycle_days"])
    assignment = pd.DataFrame({"rep_id": reps, "team": groups})
    return data, assignment


if __name__ == "__main__":
    folder = Path(__file__).parent / "data"
    data, assignment = generate()
    data.to_parquet(folder / "rep_weeks.parquet", index=False)
    assignment.to_csv(folder / "assignment.csv", index=False)
    print(f"wrote {folder}")
