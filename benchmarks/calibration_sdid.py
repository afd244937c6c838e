"""Calibration of synthetic DiD's placebo inference (`stats.synthdid`, `stats.placebo`).

Simulated vendor portfolios: J donors and one account, weekly, a factor model with account-specific
trends and AR(1) noise,

    Y_it = mu_i + loadings_i . F_t + slope_i * t + e_it,   F: 3 random walks, e: AR(1), rho 0.5,

and no effect anywhere (a true null). Three ways the account comes to be treated:

- `random`: any of the J + 1 accounts, at random (the placebo test's own assumption);
- `dip`: the account whose KPI fell most in the last 4 pre-rollout weeks against its own earlier
  level (vendors roll out where a KPI dipped; the dip then recovers by itself — Ashenfelter);
- `dip, flagged` / `dip, not flagged`: the dip-selected runs split by `pre_period_dip`;
- `random, poor fit` / `random, good fit`: the random runs split by `poor_pre_fit` (a poor fit
  should be where the placebo test fails, a good one where it holds).

Per row: how often the placebo test rejects at alpha 0.05 (false positives, with their Monte Carlo
SE), how often the 95% interval (estimate ± 1.96 placebo SE) covers the true 0, how often
`pre_period_dip` flags the account, and how often the pre-fit is "poor" by the stats stage's rule.
Seeded; one process, BLAS on one thread (as `valueproof analyze` runs).

Run:  python benchmarks/calibration_sdid.py [--runs 200] [--donors 20 50 200]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from valueproof.stats.placebo import placebo_inference, poor_pre_fit, pre_period_dip  # noqa: E402
from valueproof.stats.synthdid import synthetic_did  # noqa: E402

PERIODS, N_PRE = 52, 26
DIP_WEEKS = 4
SEED = 20260301


def simulate_portfolio(rng: np.random.Generator, accounts: int, periods: int = PERIODS, *,
                       factors: int = 3, rho: float = 0.5, trend_sd: float = 0.05) -> np.ndarray:
    """(accounts, periods) KPI paths of a factor model with account trends and AR(1) noise
    (innovations of SD 1; the factors' steps of SD 1; loadings N(0, 1); levels N(50, 5))."""
    steps = np.cumsum(rng.normal(size=(periods, factors)), axis=0)
    loadings = rng.normal(size=(accounts, factors))
    trend = np.outer(rng.normal(0, trend_sd, accounts), np.arange(periods))
    noise = np.empty((accounts, periods))
    noise[:, 0] = rng.normal(size=accounts) / np.sqrt(1 - rho**2)
    for t in range(1, periods):
        noise[:, t] = rho * noise[:, t - 1] + rng.normal(size=accounts)
    return rng.normal(50, 5, (accounts, 1)) + loadings @ steps.T + trend + noise


def treated_last(Y: np.ndarray, treated: int) -> np.ndarray:
    """The panel with the treated account moved to the last row (the estimator's layout)."""
    order = [i for i in range(len(Y)) if i != treated] + [treated]
    return Y[order]


def dip_selected(Y: np.ndarray, n_pre: int = N_PRE) -> int:
    """The account whose last DIP_WEEKS pre-rollout weeks fell most below its earlier pre level."""
    late = Y[:, n_pre - DIP_WEEKS:n_pre].mean(axis=1)
    return int(np.argmin(late - Y[:, :n_pre - DIP_WEEKS].mean(axis=1)))


def one_run(Y: np.ndarray, alpha: float = 0.05) -> tuple[bool, bool, bool, bool]:
    """(rejected, covered, dip flagged, poor pre-fit) for the account in the last row."""
    fit = synthetic_did(Y, N_PRE)
    placebo = placebo_inference(Y, N_PRE, fit, alpha=alpha)
    return (placebo.p_value <= alpha, placebo.ci_low <= 0 <= placebo.ci_high,
            pre_period_dip(Y, N_PRE, fit, placebo), poor_pre_fit(fit, placebo))


def rate(hits: list[bool]) -> str:
    if not hits:
        return "–"
    p = float(np.mean(hits))
    return f"{p:.3f} ± {np.sqrt(p * (1 - p) / len(hits)):.3f}"


def table(runs: int, donor_counts: list[int]) -> list[str]:
    from threadpoolctl import threadpool_limits

    lines = [("| Donors | Account | Runs | Rejects at 0.05 | 95% interval covers 0 | Dip flagged "
              "| Poor pre-fit |"), "|---|---|---|---|---|---|---|"]
    with threadpool_limits(limits=1, user_api="blas"):
        for donors in donor_counts:
            rng = np.random.default_rng(SEED + donors)
            results = {"random": [], "dip": []}
            for _ in range(runs):
                Y = simulate_portfolio(rng, donors + 1)
                results["random"].append(one_run(treated_last(Y, int(rng.integers(donors + 1)))))
                results["dip"].append(one_run(treated_last(Y, dip_selected(Y))))
            rows = dict(results)
            rows["dip, flagged"] = [r for r in results["dip"] if r[2]]
            rows["dip, not flagged"] = [r for r in results["dip"] if not r[2]]
            rows["random, poor fit"] = [r for r in results["random"] if r[3]]
            rows["random, good fit"] = [r for r in results["random"] if not r[3]]
            for label, got in rows.items():
                columns = [rate([r[k] for r in got]) for k in range(4)]
                lines.append(f"| {donors} | {label} | {len(got)} | " + " | ".join(columns) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--donors", type=int, nargs="+", default=[20, 50, 200])
    args = parser.parse_args()
    start = time.perf_counter()
    lines = table(args.runs, args.donors)
    print("\n".join(lines))
    print(f"\n{args.runs} portfolios per donor count, {PERIODS} weeks ({N_PRE} before the rollout), "
          f"seed {SEED}; {time.perf_counter() - start:.0f} s on {dt.date.today().isoformat()}.")


if __name__ == "__main__":
    main()
