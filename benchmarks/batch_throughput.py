"""Benchmark: `valueproof batch` throughput on 40 accounts, with --jobs 1 and --jobs 2 in the
same run (reports per minute, and the scaling from 1 to 2 jobs).

The accounts are the two examples regenerated with 20 different seeds each (their own data
generators), under different customer names, in a temporary folder.

Run:  python benchmarks/batch_throughput.py [--accounts 40]
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _generator(example: str):
    spec = importlib.util.spec_from_file_location(example, ROOT / "examples" / example / "generate_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_portfolio(root: Path, accounts: int) -> None:
    support, sales = _generator("support_copilot"), _generator("sales_rollout")
    for i in range(accounts):
        example = "support_copilot" if i % 2 == 0 else "sales_rollout"
        folder = root / f"account{i:03d}"
        # the example as it is (its adoption files too), then its KPI data made anew
        shutil.copytree(ROOT / "examples" / example, folder)
        if example == "support_copilot":
            support.generate(seed=100 + i).to_csv(folder / "data" / "tickets.csv", index=False)
        else:
            data, assignment = sales.generate(seed=100 + i)
            data.to_parquet(folder / "data" / "rep_weeks.parquet", index=False)
            assignment.to_csv(folder / "data" / "assignment.csv", index=False)
        path = folder / "experiment.yaml"
        definition = yaml.safe_load(path.read_text())
        definition["customer"]["name"] = f"Customer {i:03d}"
        path.write_text(yaml.safe_dump(definition, allow_unicode=True, sort_keys=False))


def run(portfolio: Path, out: Path, jobs: int) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "valueproof", "batch", str(portfolio), "-o",
                           str(out), "--jobs", str(jobs), "--quiet"], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(done.stderr or done.stdout)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        make_portfolio(root / "portfolio", args.accounts)
        rates = {}
        for jobs in (1, 2):
            seconds = run(root / "portfolio", root / f"out{jobs}", jobs)
            rates[jobs] = args.accounts / seconds * 60
            print(f"--jobs {jobs}: {args.accounts} reports in {seconds:.1f} s = "
                  f"{rates[jobs]:.1f} reports per minute")
        print(f"scaling from 1 to 2 jobs: {rates[2] / rates[1]:.2f}x")
        rerun = run(root / "portfolio", root / "out2", 2)
        print(f"second run, nothing changed: {rerun:.1f} s")


if __name__ == "__main__":
    main()
