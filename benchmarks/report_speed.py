"""Benchmark: `valueproof report` on an example against the bare import of its dependency stack,
and `valueproof --help`, each a fresh process, in the same run (best of N).

Goal from the issue: report at most 2x the import time (stretch 1.5x); --help under 0.5 s.

Run:  python benchmarks/report_speed.py [--repeats 3] [--locales ar,sk,de]
(--locales: the support example again in each of these languages)
"""

from __future__ import annotations

import argparse
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
