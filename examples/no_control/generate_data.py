"""Generate the invoice-automation data (seeded, reproducible): one account without a control
group, and the vendor's other accounts as donors.

Nordhavn Logistics switched invoice automation on for every accounts-payable team on 2026-03-02,
so no team inside the account kept the old way. Ledgerline, the vendor, sees the same KPIs in 75
other accounts: they are the donors of a synthetic difference-in-differences.

Every account's weekly KPIs follow a factor model: its own level, its own loadings on two
portfolio-wide factors (the seasonal workload and a slow drift of the market) and an
account-specific linear trend, plus noise. Nordhavn's 12 teams share the account's path with
team-level noise. Six donors switched automation on themselves: four inside the compared window
(left out by their `first_used` date), two after it (kept); one is listed in `exclude`.

True effects on Nordhavn after 2026-03-02:
- late_rate (late_invoices / invoices):      -3 percentage points (baseline about 11%)
- handle_minutes (mean per invoice, per team-week row): -2.5 minutes (baseline about 14)
- invoices_per_fte (mean, per team-week row):           +6 invoices (baseline about 85)

Run:  python generate_data.py   (writes data/teams.csv and data/donors.parquet)
"""

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 27
ROLLOUT = pd.Timestamp("2026-03-02")
WEEKS = pd.date_range("2025-10-06", "2026-06-29", freq="W-MON")
EFFECTS = {"late_rate": -0.03, "handle_minutes": -2.5, "invoices_per_fte": 6.0}
BASE = {"late_rate": 0.11, "handle_minutes": 14.0, "invoices_per_fte": 85.0}
SPREAD = {"late_rate": 0.02, "handle_minutes": 2.0, "invoices_per_fte": 8.0}
NOISE = {"late_rate": 0.006, "handle_minutes": 0.5, "invoices_per_fte": 2.0}


def factors(rng) -> np.ndarray:
    """(2, weeks): the seasonal workload (a year-end and a spring peak) and the market's drift."""
    t = np.arange(len(WEEKS))
    season = np.sin(2 * np.pi * (t + 8) / 52) + 0.3 * rng.normal(size=len(t))
    drift = np.cumsum(rng.normal(0, 0.15, len(t)))
    return np.vstack([season, drift])


def account_paths(rng, common: np.ndarray, spread: float = 0.3) -> dict[str, np.ndarray]:
    """One account's expected weekly path per KPI (before any effect); `spread`: how far its
    loadings on the factors stray from the portfolio's typical ones."""
    t = np.arange(len(WEEKS)) / len(WEEKS)
    paths = {}
    for kpi, base in BASE.items():
        level = base + rng.normal(0, SPREAD[kpi])
        loadings = rng.normal([0.6, 0.4], spread) * SPREAD[kpi]
        trend = rng.normal(0, 0.5) * SPREAD[kpi] * t
        paths[kpi] = level + loadings @ common + trend
    return paths


def generate(seed: int = SEED, n_donors: int = 75, n_teams: int = 12):
    rng = np.random.default_rng(seed)
    common = factors(rng)
    post = np.asarray(WEEKS >= ROLLOUT)
    donor_rows = []
    first_used = {4: "2026-01-12", 11: "2026-04-06", 23: "2025-11-17", 31: "2026-05-04",
                  8: "2026-09-07", 36: "2026-10-05"}  # the last two: after the compared window
    for d in range(1, n_donors + 1):
        paths = account_paths(rng, common)
        invoices = rng.integers(600, 4000)
        for w, week in enumerate(WEEKS):
            volume = int(invoices * (1 + 0.1 * common[0, w]) + rng.normal(0, 40))
            late = np.clip(paths["late_rate"][w] + rng.normal(0, NOISE["late_rate"]), 0.01, 0.5)
            donor_rows.append((
                f"acct-{d:03d}", week.date(), volume, int(round(volume * late)),
                round(paths["handle_minutes"][w] + rng.normal(0, NOISE["handle_minutes"]), 2),
                round(paths["invoices_per_fte"][w] + rng.normal(0, NOISE["invoices_per_fte"]), 1),
                first_used.get(d)))
    donors = pd.DataFrame(donor_rows, columns=[
        "account_id", "week", "invoices", "late_invoices", "minutes_per_invoice",
        "invoices_per_fte", "first_used"])

    paths = account_paths(rng, common, spread=0.1)  # a typical account of the portfolio
    team_rows = []
    for team in range(1, n_teams + 1):
        share = rng.uniform(0.5, 1.5)
        for w, week in enumerate(WEEKS):
            volume = max(20, int(180 * share + rng.normal(0, 15)))
            late = paths["late_rate"][w] + post[w] * EFFECTS["late_rate"] + rng.normal(0, 0.01)
            minutes = (paths["handle_minutes"][w] + post[w] * EFFECTS["handle_minutes"]
                       + rng.normal(0, 0.6))
            per_fte = (paths["invoices_per_fte"][w] + post[w] * EFFECTS["invoices_per_fte"]
                       + rng.normal(0, 4.0))
            team_rows.append((f"AP-{team:02d}", week.date(), volume,
                              int(round(volume * float(np.clip(late, 0.0, 0.5)))),
                              round(minutes, 2), round(per_fte, 1)))
    teams = pd.DataFrame(team_rows, columns=["team_id", "week", "invoices", "late_invoices",
                                             "handle_minutes", "invoices_per_fte"])
    return teams, donors


if __name__ == "__main__":
    folder = Path(__file__).parent / "data"
    teams, donors = generate()
    teams.to_csv(folder / "teams.csv", index=False)
    donors.to_parquet(folder / "donors.parquet", index=False)
    print(f"wrote {folder}")
