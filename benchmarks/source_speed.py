"""Benchmark: reading PostgreSQL (data.connection + data.table) against the same rows in a Parquet
file, and the data stage's panel against a hand-written GROUP BY in `psql`.

Generated rows (DuckDB, 5 KPI columns plus unit, group and day, one column left unused) are
written to Parquet and loaded once with COPY into a throwaway PostgreSQL cluster (tests/pg.py:
VALUEPROOF_TEST_PG_URL, or a cluster started from Debian's binaries and removed at the end).

Figures, each the best of --repeat runs:
* `analyze` from Parquet and from PostgreSQL (the whole command, in a new process);
* `analyze` from PostgreSQL with `data.duplicates: skip` (the table has no primary key, so by
  default the database also counts duplicate rows over every column: a second, heavier pass);
* the panel from PostgreSQL: `load_dataset` in a new process with `duplicates: skip`
  (connecting, the aggregation the database runs, the cells arriving through ADBC, the checks
  and the panel in DuckDB; the process's own imports not counted);
* `psql` running the hand-written unit × week GROUP BY of the same panel (means, a sum and
  rates per unit × group × week × window) and printing its rows: what the server alone needs.

With --spark, the same rows are read from a local Spark session (spark://local[2]) instead:
the benchmark starts the session (timed on its own), caches the Parquet file as the temporary
view `obs`, and runs `analyze` in this process, where valueproof uses that active session (as
a notebook would), with the default duplicate checks and with `duplicates: skip`; the Parquet
figure is taken in this process too.

Run:  python benchmarks/source_speed.py [--rows 1000000 10000000] [--units 20000] [--repeat 2]
      python benchmarks/source_speed.py --spark [--rows 1000000] [--cores 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.big_analyze import write_rows
from tests import pg

KPIS = """\
kpis:
  - {id: k1, column: k1, better: lower}
  - {id: k2, column: k2, better: higher}
  - {id: k3, column: k3, better: higher, aggregate: sum}
  - {id: k4, numerator: k4, better: higher, aggregate: rate}
  - {id: k5, numerator: k4, denominator: k5, better: lower, aggregate: rate}
"""
HEAD = """\
name: Source benchmark
groups: {column: grp, treatment: T, control: C}
rollout: 2026-04-01
pre: {start: 2026-01-01, end: 2026-03-31}
post: {start: 2026-04-01, end: 2026-06-29}
analysis: {period: week}
"""
COLUMNS = {"unit": "text", "grp": "text", "day": "date", "k1": "double precision",
           "k2": "double precision", "k3": "double precision", "k4": "integer",
           "k5": "double precision", "note": "text"}
PANEL_SQL = """SELECT unit, grp, date_trunc('week', day) AS week, day >= DATE '2026-04-01' AS post,
  count(*), avg(k1), avg(k2), sum(k3), sum(k4)::float8 / count(*), sum(k4) / sum(k5)
  FROM {table} WHERE day BETWEEN DATE '2026-01-01' AND DATE '2026-06-29'
  GROUP BY 1, 2, 3, 4"""


def generate(folder: Path, rows: int, units: int) -> Path:
    """The rows as Parquet (with a unique `note` column no KPI uses) and as CSV, and the
    definition reading the Parquet file (`file.yaml`)."""
    import duckdb

    parquet = folder / "obs.parquet"
    write_rows(parquet, rows, units, note=True)
    duckdb.sql(f"COPY (SELECT * FROM '{parquet}') TO '{folder / 'obs.csv'}' (HEADER)")
    (folder / "file.yaml").write_text(
        HEAD + "data: {path: obs.parquet, unit: unit, time: day}\n" + KPIS)
    return parquet


def write_database_definitions(folder: Path, url: str, table: str) -> Path:
    """`db.yaml` reading `table` of the connection `bench` (`url`, kept in the operator's
    connections.yaml, whose path is returned), and `db_skip.yaml`, the same with
    `duplicates: skip`."""
    for name, extra in (("db", ""), ("db_skip", ", duplicates: skip")):
        (folder / f"{name}.yaml").write_text(
            HEAD + f"data: {{connection: bench, table: {table}, unit: unit, time: day{extra}}}\n"
            + KPIS)
    connections = folder / "connections.yaml"
    connections.write_text(f"bench: {{url: '{url}'}}\n")
    return connections


READER_PASSWORD = "bench-reader-0123456789"


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


PANEL_STAGE = """
import sys, time
from valueproof.config.loader import load_experiment
from valueproof.data import load_dataset
experiment = load_experiment(sys.argv[1])
start = time.perf_counter()
load_dataset(experiment)
print(time.perf_counter() - start)
"""


def panel_time(path: Path, env: dict[str, str]) -> float:
    """Seconds `load_dataset` takes in a new process, its imports left out."""
    found = subprocess.run([sys.executable, "-c", PANEL_STAGE, str(path)], check=True, env=env,
                           capture_output=True, text=True)
    return float(found.stdout.split()[-1])


def spark_benchmark(args) -> None:
    from click.testing import CliRunner
    from pyspark.sql import SparkSession

    from valueproof.cli import main as cli
    from valueproof.data.backends.spark import _settings

    master = f"local[{args.cores}]"
    started = time.perf_counter()
    builder = SparkSession.builder.master(master)
    for key, value in _settings(master, "4GB").items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("OFF")
    print(f"Spark session {master} started in {time.perf_counter() - started:.1f}s")
    runner = CliRunner()

    def analyze(path: Path) -> float:
        start = time.perf_counter()
        result = runner.invoke(cli, ["analyze", str(path)], catch_exceptions=False)
        if result.exit_code != 0:
            raise SystemExit(result.output)
        return time.perf_counter() - start

    print(f"{'rows':>11}  {'parquet':>8}  {'spark':>8}  {'spark/parquet':>13}  "
          f"{'spark, skip':>11}  {'ratio':>5}")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for rows in args.rows:
                folder = Path(tmp) / str(rows)
                folder.mkdir()
                generate(folder, rows, args.units)
                started = time.perf_counter()
                frame = spark.read.parquet(str(folder / "obs.parquet")).cache()
                frame.count()
                frame.createOrReplaceTempView("obs")
                cached = time.perf_counter() - started
                os.environ["VALUEPROOF_CONNECTIONS"] = str(
                    write_database_definitions(folder, f"spark://{master}", "obs"))
                best = {name: min(analyze(folder / f"{name}.yaml") for _ in range(args.repeat))
                        for name in ("file", "db", "db_skip")}
                print(f"{rows:>11,}  {best['file']:>7.2f}s  {best['db']:>7.2f}s  "
                      f"{best['db'] / best['file']:>12.1f}×  {best['db_skip']:>10.2f}s  "
                      f"{best['db_skip'] / best['file']:>4.1f}×   (Parquet into Spark's cache "
                      f"{cached:.1f}s)", flush=True)
                frame.unpersist()
    finally:
        spark.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=None)
    parser.add_argument("--units", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--spark", action="store_true",
                        help="read from a local Spark session instead of PostgreSQL")
    parser.add_argument("--cores", type=int, default=2, help="with --spark: local[N]")
    args = parser.parse_args()
    if args.spark:
        args.rows = args.rows or [1_000_000]
        spark_benchmark(args)
        return
    args.rows = args.rows or [1_000_000, 10_000_000]
    from urllib.parse import urlsplit

    tool = str(Path(sys.executable).with_name("valueproof"))
    with pg.cluster() as url, tempfile.TemporaryDirectory() as tmp:
        parts = urlsplit(url)
        env = {**os.environ, "VP_BENCH_PASSWORD": READER_PASSWORD, "PGPASSWORD": parts.password}
        # valueproof refuses a superuser: it reads as a role that may only read
        subprocess.run(["psql", url, "-qc", "DROP ROLE IF EXISTS bench_reader; CREATE ROLE "
                        f"bench_reader LOGIN PASSWORD '{READER_PASSWORD}'; GRANT "
                        "pg_read_all_data TO bench_reader"], check=True, env=env)
        template = (f"postgresql://bench_reader:${{VP_BENCH_PASSWORD}}@{parts.hostname}:"
                    f"{parts.port}{parts.path}")
        print(f"{'rows':>11}  {'analyze: parquet':>16}  {'postgres':>8}  {'ratio':>5}  "
              f"{'pg, skip':>8}  {'panel from pg':>13}  {'psql GROUP BY':>13}  {'ratio':>5}")
        for rows in args.rows:
            folder = Path(tmp) / str(rows)
            folder.mkdir()
            generate(folder, rows, args.units)
            table = f"obs_{rows}"
            started = time.perf_counter()
            pg.copy_csv(url, table, folder / "obs.csv", COLUMNS)
            subprocess.run(["psql", url, "-qc", f"VACUUM ANALYZE {table}"], check=True, env=env)
            loaded = time.perf_counter() - started
            env["VALUEPROOF_CONNECTIONS"] = str(write_database_definitions(folder, template,
                                                                           table))
            best = {}
            for name, command in (
                    ("parquet", [tool, "analyze", str(folder / "file.yaml")]),
                    ("postgres", [tool, "analyze", str(folder / "db.yaml")]),
                    ("skip", [tool, "analyze", str(folder / "db_skip.yaml")]),
                    ("psql", ["psql", url, "-qAtc", PANEL_SQL.format(table=table)])):
                best[name] = min(timed(command, env) for _ in range(args.repeat))
            best["panel"] = min(panel_time(folder / "db_skip.yaml", env)
                                for _ in range(args.repeat))
            print(f"{rows:>11,}  {best['parquet']:>15.2f}s  {best['postgres']:>7.2f}s  "
                  f"{best['postgres'] / best['parquet']:>4.1f}×  {best['skip']:>7.2f}s  "
                  f"{best['panel']:>12.2f}s  "
                  f"{best['psql']:>12.2f}s  {best['panel'] / best['psql']:>4.2f}×   "
                  f"(COPY + ANALYZE {loaded:.1f}s)", flush=True)


if __name__ == "__main__":
    main()
