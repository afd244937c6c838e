"""Benchmark (b): 10 million observation rows in Parquet, 50,000 units, 5 KPIs, through
`valueproof analyze` end to end (a subprocess; wall time and peak memory).

The data are generated with DuckDB into a temporary folder (about 200 MB, not committed).
Goal (issue 26): under 8 s wall and under 1.5 GB peak memory on the 2-core machine. Each run
prints its wall time, its CPU time (user + system: steadier than wall on a shared machine) and
its peak memory. `--reference DIR` runs an earlier package (e.g. `git archive <commit> valueproof
| tar -x -C DIR`) put first on PYTHONPATH, alternating with this one on the same data.

Run:  python benchmarks/big_analyze.py [--rows 10000000] [--units 50000] [--runs 1]
                                       [--reference DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFINITION = """\
name: Scale benchmark
data: {path: obs.parquet, unit: unit, time: day}
groups: {column: grp, treatment: T, control: C}
rollout: 2026-04-01
pre: {start: 2026-01-01, end: 2026-03-31}
post: {start: 2026-04-01, end: 2026-06-29}
kpis:
  - {id: k1, column: k1, better: lower}
  - {id: k2, column: k2, better: higher}
  - {id: k3, column: k3, better: higher, aggregate: sum}
  - {id: k4, numerator: k4, better: higher, aggregate: rate}
  - {id: k5, column: k5, better: lower, transform: log}
"""


def write_rows(parquet: Path, rows: int, units: int, note: bool = False) -> None:
    """`rows` observations of `units` units (half treated) over 180 days from 2026-01-01, five
    KPI columns, as Parquet; with `note`, a unique text column no KPI uses."""
    import duckdb

    extra = ", 'row ' || i AS note" if note else ""
    duckdb.sql(f"""
        COPY (
          SELECT 'U' || (i % {units}) AS unit,
                 CASE WHEN (i % {units}) < {units} // 2 THEN 'T' ELSE 'C' END AS grp,
                 DATE '2026-01-01' + CAST(floor(random() * 180) AS INTEGER) AS day,
                 10 + random() * 4 AS k1, random() AS k2, floor(random() * 5) AS k3,
                 CASE WHEN random() < 0.3 THEN 1 ELSE 0 END AS k4, 1 + random() * 9 AS k5{extra}
          FROM range({rows}) t(i)
        ) TO '{parquet}' (FORMAT parquet)
    """)


def generate(folder: Path, rows: int, units: int) -> None:
    write_rows(folder / "obs.parquet", rows, units)
    (folder / "experiment.yaml").write_text(DEFINITION)


def run(folder: Path, package: Path | None) -> str:
    """One `valueproof analyze` in a fresh process (of `package`'s code, or this checkout's):
    its wall time, CPU time and peak memory."""
    env = dict(os.environ)
    if package is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(package), env.get("PYTHONPATH", "")])
    command = [sys.executable, "-m", "valueproof", "analyze", str(folder / "experiment.yaml"),
               "--json", str(folder / "results.json")]
    start = time.perf_counter()
    # run from the data's folder: `-m` puts the working directory first on sys.path
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=env, cwd=folder)
    _, status, usage = os.wait4(process.pid, 0)  # this child's own CPU time and peak memory
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"valueproof analyze failed (exit {process.returncode})")
    return (f"{wall:.1f} s wall, {usage.ru_utime + usage.ru_stime:.1f} s CPU, "
            f"peak memory {usage.ru_maxrss / 1024 / 1024:.2f} GB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--units", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--reference", type=Path, default=None,
                        help="a folder holding an earlier valueproof package, run alternately")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        start = time.perf_counter()
        generate(folder, args.rows, args.units)
        size = (folder / "obs.parquet").stat().st_size / 1e6
        print(f"generated {args.rows:,} rows, {args.units:,} units, 5 KPIs "
              f"({size:.0f} MB Parquet) in {time.perf_counter() - start:.1f} s")
        for _ in range(args.runs):
            if args.reference is not None:
                print(f"reference:          {run(folder, args.reference.resolve())}")
            print(f"valueproof analyze: {run(folder, None)}")


if __name__ == "__main__":
    main()
