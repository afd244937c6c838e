"""Benchmark (b): 10 million observation rows in Parquet, 50,000 units, 5 KPIs, through
`valueproof analyze` end to end (a subprocess; wall time and peak memory).

The data are generated with DuckDB into a temporary folder (about 200 MB, not committed).
Goal (issue 26): under 8 s wall and under 1.5 GB peak memory on the 2-core machine.

Run:  python benchmarks/big_analyze.py [--rows 10000000] [--units 50000]
"""

from __future__ import annotations

import argparse
import resource
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--units", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        start = time.perf_counter()
        generate(folder, args.rows, args.units)
        size = (folder / "obs.parquet").stat().st_size / 1e6
        print(f"generated {args.rows:,} rows, {args.units:,} units, 5 KPIs "
              f"({size:.0f} MB Parquet) in {time.perf_counter() - start:.1f} s")
        command = [sys.executable, "-m", "valueproof", "analyze", str(folder / "experiment.yaml"),
                   "--json", str(folder / "results.json")]
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024
        print(f"valueproof analyze: {wall:.1f} s wall, peak memory {peak:.2f} GB")


if __name__ == "__main__":
    main()
