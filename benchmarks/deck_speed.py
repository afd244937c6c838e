"""Benchmark: what a slide deck adds to its report. `valueproof report` alone and the same with
`--deck x.pptx`, each a fresh process, interleaved in the same run (best of N each), for every
example given.

Goal from issue 26: the deck costs at most 0.5 s on top of its report. Besides the wall time,
the CPU time the process used (user + system) is shown: on a busy machine it is the steadier
figure. Then, in one fresh process per example, the CPU time of each step of `report --deck`
(the deck's first call pays for importing python-pptx): the steadiest figure of all.

Run:  python benchmarks/deck_speed.py [--repeats 3] [--examples support_copilot,team_waves]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STEPS = """
import sys, time
from pathlib import Path
from valueproof.commands.pipeline import pipeline
from valueproof.report.context import report_context
from valueproof.report.render import render_report
from valueproof.report.deck.render import render_deck

experiment, results = pipeline(sys.argv[1])
steps = {}
for name, step in (("context", lambda: report_context(experiment, results)),
                   ("pdf", lambda: render_report(experiment, results, context)),
                   ("deck", lambda: render_deck(experiment, results, context))):
    start = time.process_time()
    made = step()
    steps[name] = time.process_time() - start
    context = made if name == "context" else context
print(", ".join(f"{name} {cpu:.2f} s" for name, cpu in steps.items()))
"""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def seconds(command: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run of `command`."""
    start, cpu = time.perf_counter(), _children_cpu()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, _children_cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--examples", default="support_copilot,sales_rollout,team_waves")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for example in args.examples.split(","):
            report = [sys.executable, "-m", "valueproof", "report",
                      str(ROOT / "examples" / example), "-o", f"{folder}/{example}.pdf"]
            alone, with_deck = [], []
            for _ in range(args.repeats):  # interleaved: a busy moment hits both alike
                alone.append(seconds(report))
                with_deck.append(seconds([*report, "--deck", f"{folder}/{example}.pptx"]))
            for kind, index in (("wall", 0), ("CPU", 1)):
                one = min(run[index] for run in alone)
                two = min(run[index] for run in with_deck)
                print(f"{example} ({kind}): report {one:.2f} s, report + --deck {two:.2f} s: "
                      f"the deck adds {two - one:+.2f} s (best of {args.repeats})")
            steps = subprocess.run([sys.executable, "-c", STEPS, str(ROOT / "examples" / example)],
                                   check=True, capture_output=True, text=True).stdout.strip()
            print(f"{example} (CPU of each step in one process): {steps}")


if __name__ == "__main__":
    main()
