"""Benchmark: `valueproof batch` throughput on 40 accounts (reports per minute), in the same run:
with --jobs 1 and --jobs 2 (and the scaling between them), the same accounts without their
adoption data with --jobs 2, and a second batch with nothing changed.

The accounts are the three examples (support_copilot, sales_rollout, team_waves) in turn,
each regenerated with its own seed (the examples' data generators), under different customer
names, in a temporary folder. Without adoption data, the definitions lose their `adoption` and
`health` keys (only the support example has them).

Also shown: the seconds until the first PDF is in the output folder, and the largest resident
memory of a worker (sampled from /proc every 0.1 s: RSS, which counts the pages a worker shares
with the forkserver it was forked from).

Goals from issue 26: --jobs 2 at least 60 reports per minute, 80 without adoption data; a
worker under 400 MB.

Run:  python benchmarks/batch_throughput.py [--accounts 40] [--jobs 1,2] [--no-adoption-only]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ("support_copilot", "sales_rollout", "team_waves")


def _generator(example: str):
    spec = importlib.util.spec_from_file_location(example, ROOT / "examples" / example / "generate_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_portfolio(root: Path, accounts: int, adoption: bool = True) -> None:
    generators = {example: _generator(example) for example in EXAMPLES}
    for i in range(accounts):
        example = EXAMPLES[i % len(EXAMPLES)]
        folder = root / f"account{i:03d}"
        # the example as it is (its adoption files too), then its KPI data made anew
        shutil.copytree(ROOT / "examples" / example, folder)
        made = generators[example].generate(seed=100 + i)
        if example == "support_copilot":
            made.to_csv(folder / "data" / "tickets.csv", index=False)
        elif example == "sales_rollout":
            data, assignment = made
            data.to_parquet(folder / "data" / "rep_weeks.parquet", index=False)
            assignment.to_csv(folder / "data" / "assignment.csv", index=False)
        else:
            daily, waves = made
            daily.to_csv(folder / "data" / "agent_days.csv", index=False)
            waves.to_csv(folder / "data" / "waves.csv", index=False)
        path = folder / "experiment.yaml"
        definition = yaml.safe_load(path.read_text())
        definition["customer"]["name"] = f"Customer {i:03d}"
        if not adoption:
            definition.pop("adoption", None)
            definition.pop("health", None)
        path.write_text(yaml.safe_dump(definition, allow_unicode=True, sort_keys=False))


def _descendants(pid: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            parents.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run(portfolio: Path, out: Path, jobs: int) -> tuple[float, float, float]:
    """(seconds, seconds until the first PDF, largest RSS in MB of a process below the
    batch's main process) of one batch."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "valueproof", "batch", str(portfolio), "-o",
                                str(out), "--jobs", str(jobs), "--quiet"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    first, largest = [float("nan")], [0.0]

    def sample() -> None:
        while process.poll() is None:
            largest[0] = max([largest[0], *(_rss_mb(pid) for pid in _descendants(process.pid))])
            if first[0] != first[0] and out.is_dir() and any(out.glob("*.pdf")):
                first[0] = time.perf_counter() - start
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    seconds = time.perf_counter() - start
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(output)
    return seconds, first[0], largest[0]


def report(label: str, accounts: int, jobs: int, figures: tuple[float, float, float]) -> float:
    seconds, first, largest = figures
    rate = accounts / seconds * 60
    print(f"{label} --jobs {jobs}: {accounts} reports in {seconds:.1f} s = {rate:.1f} reports "
          f"per minute; first PDF after {first:.1f} s; largest worker {largest:.0f} MB RSS")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=40)
    parser.add_argument("--jobs", default="1,2", help="job counts for the accounts with adoption")
    parser.add_argument("--no-adoption-only", action="store_true",
                        help="only the accounts without adoption data, --jobs 2")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        if not args.no_adoption_only:
            make_portfolio(root / "portfolio", args.accounts)
            rates = {}
            for jobs in map(int, args.jobs.split(",")):
                rates[jobs] = report("with adoption", args.accounts, jobs,
                                     run(root / "portfolio", root / f"out{jobs}", jobs))
            if {1, 2} <= set(rates):
                print(f"scaling from 1 to 2 jobs: {rates[2] / rates[1]:.2f}x")
            jobs = max(rates)
            rerun = run(root / "portfolio", root / f"out{jobs}", jobs)[0]
            print(f"second run, nothing changed: {rerun:.1f} s")
        make_portfolio(root / "bare", args.accounts, adoption=False)
        report("without adoption", args.accounts, 2, run(root / "bare", root / "bare-out", 2))


if __name__ == "__main__":
    main()
