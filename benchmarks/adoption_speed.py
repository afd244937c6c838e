"""Benchmark: what 5 million usage rows add to `analyze` (and so to `report`).

Writes a small experiment (24 units, 8 weeks) with an adoption section whose usage file holds
5,000,000 rows (20,000 users, two quarters, five features; Parquet, or CSV with --csv), plus
training, NPS and ticket files, and times, in one process, best of N:
  - the adoption stage alone (`assess_adoption`: read, check, count);
  - the whole pipeline with and without the `adoption` key; the difference is what it adds.

Goal from the issue: 5M usage rows add less than 3 s.

Run:  python benchmarks/adoption_speed.py [--rows 5000000] [--csv] [--repeats 3]
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import BASE_DEFINITION, panel_frame  # noqa: E402

AS_OF = "2026-03-31"


def write_files(folder: Path, rows: int, csv: bool) -> None:
    import duckdb

    rng = np.random.default_rng(1)
    days = pd.date_range("2025-10-01", AS_OF, freq="D").date
    frame = pd.DataFrame({
        "user_id": pd.Series(rng.integers(0, 20_000, rows)).map("u{:05d}".format),
        "ts": pd.to_datetime(rng.choice(days, rows)) + pd.to_timedelta(
            rng.integers(0, 86_400, rows), unit="s"),
        "feature": rng.choice(["drafts", "summaries", "search", "tags", "macros"], rows),
    })
    frame.to_parquet(folder / "usage.parquet", index=False)
    if csv:
        with duckdb.connect() as con:
            con.execute(f"COPY (SELECT * FROM read_parquet('{folder / 'usage.parquet'}')) "
                        f"TO '{folder / 'usage.csv'}' (HEADER)")
    users = [f"u{i:05d}" for i in range(20_000)]
    pd.DataFrame({"user_id": users, "completed_on": rng.choice(
        list(pd.date_range("2025-10-01", "2026-06-30").date.astype(str)) + [""], 20_000)}
    ).to_csv(folder / "training.csv", index=False)
    pd.DataFrame({"score": rng.integers(0, 11, 2_000), "answered_on": rng.choice(
        days, 2_000)}).to_csv(folder / "nps.csv", index=False)
    opened = pd.to_datetime(rng.choice(days, 5_000)) + pd.to_timedelta(
        rng.integers(0, 86_400, 5_000), unit="s")
    pd.DataFrame({"opened": opened,
                  "resolved": opened + pd.to_timedelta(rng.exponential(30, 5_000), unit="h"),
                  "priority": rng.choice(["high", "normal", "low"], 5_000)}
                 ).to_csv(folder / "tickets.csv", index=False)
    panel_frame().to_csv(folder / "data.csv", index=False)


def definitions(folder: Path, csv: bool) -> tuple[Path, Path]:
    bare = copy.deepcopy(BASE_DEFINITION)
    bare["as_of"] = AS_OF
    bare["analysis"] = {"permutations": 2000}
    full = copy.deepcopy(bare)
    full["adoption"] = {
        "licences": 25_000,
        "usage": {"path": "usage.csv" if csv else "usage.parquet", "user": "user_id",
                  "time": "ts", "feature": "feature"},
        "features": [{"id": "drafts"}, {"id": "summaries"}, {"id": "search"}],
        "training": {"path": "training.csv", "user": "user_id", "completed": "completed_on"},
        "nps": {"path": "nps.csv", "score": "score", "time": "answered_on"},
        "tickets": {"path": "tickets.csv", "opened": "opened", "resolved": "resolved",
                    "priority": "priority"},
        "onboarded_on": "2026-01-05",
    }
    paths = folder / "bare.yaml", folder / "full.yaml"
    for path, definition in zip(paths, (bare, full)):
        path.write_text(yaml.safe_dump(definition, sort_keys=False))
    return paths


def best_of(repeats: int, run) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--csv", action="store_true", help="usage as CSV instead of Parquet")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from valueproof.adoption import assess_adoption
    from valueproof.commands.pipeline import pipeline
    from valueproof.config import load_experiment

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        write_files(folder, args.rows, args.csv)
        bare, full = definitions(folder, args.csv)
        experiment = load_experiment(full)
        outcome = assess_adoption(experiment, experiment.as_of)
        stage = best_of(args.repeats, lambda: assess_adoption(experiment, experiment.as_of))
        without = best_of(args.repeats, lambda: pipeline(bare))
        with_adoption = best_of(args.repeats, lambda: pipeline(full))
    kind = "CSV" if args.csv else "Parquet"
    print(f"usage: {args.rows:,} rows ({kind}); active users {outcome.adoption.active_users:,}, "
          f"health {outcome.health.score:.0f}")
    print(f"adoption stage alone: {stage:.2f} s")
    print(f"analyze without adoption: {without:.2f} s, with: {with_adoption:.2f} s; "
          f"added: {with_adoption - without:.2f} s (goal < 3 s)")


if __name__ == "__main__":
    main()
