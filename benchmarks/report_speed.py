"""Benchmark: `valueproof report` on an example against the bare import of its dependency stack,
and `valueproof --help`, each a fresh process, in the same run (best of N); then where a
report's time goes, again in fresh processes: the libraries, data and statistics, the context
with its charts and the HTML, and WeasyPrint (the PDF), with WeasyPrint's share of the time the
report spends above the import floor.

Goals (issue 26): report at most 2x the import time, and WeasyPrint at least 55% of what is
left after the imports (everything of ours around it small); --help under 0.5 s.

Run:  python benchmarks/report_speed.py [--repeats 3] [--locales ar,sk,de]
(--locales: the support example again in each of these languages)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMPORTS = "import weasyprint, matplotlib.pyplot, pandas, scipy.stats"


def best(command: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return min(times)


# one report as `valueproof report` makes it, each stage timed (seconds, wall); prints JSON
PHASES = """
import json, sys, time
start = time.perf_counter()
from valueproof.commands.preload import report_libraries
report_libraries()
from valueproof.commands.pipeline import load_definition, run_stages
from valueproof.report.context import report_context
from valueproof.report.render import logo_sources, pdf_bytes, render_html
marks = {"libraries": time.perf_counter()}
experiment = load_definition(sys.argv[1], (), None)
results = run_stages(experiment)
marks["data and statistics"] = time.perf_counter()
context = report_context(experiment, results)
html, base = render_html(experiment, results, logos=logo_sources(experiment)[0], context=context)
marks["context, charts and HTML"] = time.perf_counter()
pdf_bytes(html, base, experiment, results)
marks["WeasyPrint"] = time.perf_counter()
times, last = {}, start
for name, mark in marks.items():
    times[name], last = mark - last, mark
print(json.dumps(times))
"""


def phases(example: Path, repeats: int) -> dict[str, float]:
    """Each stage's best time over `repeats` fresh processes."""
    runs = [json.loads(subprocess.run([sys.executable, "-c", PHASES, str(example)], check=True,
                                      capture_output=True, text=True).stdout)
            for _ in range(repeats)]
    return {name: min(run[name] for run in runs) for name in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--locales", default="", help="comma-separated, e.g. ar,sk,tr,de,fr,es,pl")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        imports = best([sys.executable, "-c", IMPORTS], args.repeats)
        print(f"bare imports ({IMPORTS}): {imports:.2f} s")
        for example in ("support_copilot", "sales_rollout"):
            report = best([sys.executable, "-m", "valueproof", "report",
                           str(ROOT / "examples" / example), "-o", f"{folder}/{example}.pdf"],
                          args.repeats)
            print(f"valueproof report {example}: {report:.2f} s = {report / imports:.2f}x imports")
            stages = phases(ROOT / "examples" / example / "experiment.yaml", args.repeats)
            print("  where it goes (best of each): "
                  + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in stages.items()))
            above = report - imports
            print(f"  WeasyPrint {stages['WeasyPrint']:.2f} s of the {above:.2f} s above the "
                  f"import floor ({stages['WeasyPrint'] / above:.0%})")
        for locale in filter(None, args.locales.split(",")):
            report = best([sys.executable, "-m", "valueproof", "report",
                           str(ROOT / "examples" / "support_copilot"), "-o",
                           f"{folder}/{locale}.pdf", "--locale", locale], args.repeats)
            print(f"valueproof report support_copilot --locale {locale}: {report:.2f} s = "
                  f"{report / imports:.2f}x imports")
        helps = best([sys.executable, "-m", "valueproof", "--help"], args.repeats)
        print(f"valueproof --help: {helps:.2f} s")


if __name__ == "__main__":
    main()
