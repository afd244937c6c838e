"""Generate the support-copilot pilot data (seeded, reproducible).

A support team gave an AI assistant to its pilot agents on 2026-07-01; the standard agents kept
working without it. One row per ticket, 2026-04-01 to 2026-09-30: a random 1-in-8 sample of the
team's tickets, to keep the export small (the ROI volumes in experiment.yaml are the full counts).

True effects of the assistant on pilot agents (what `valueproof analyze` should recover):
- handle_minutes:          -2.4 minutes per ticket (about -20% of a 12-minute baseline)
- resolved_first_contact:  +6 percentage points (baseline 68%)
- csat (1-5, surveyed on ~35% of tickets): no effect (0.0)
- reopened:                +5 percentage points (baseline 7%): the assistant's quick answers get
                           reopened more often — the KPI that clearly does not improve.

Agents differ in skill (a persistent agent effect), every week has a shared seasonal shock, and
each agent's weekly form follows an AR(1) process (rho = 0.5), as real team data do.

Run:  python generate_data.py   (writes data/tickets.csv)
"""

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 2
ROLLOUT = pd.Timestamp("2026-07-01")


def generate(seed: int = SEED, n_pilot: int = 32, n_standard: int = 48,
             tickets_per_day: float = 2.2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2026-04-01", "2026-09-30", freq="D")
    days = days[days.day_of_week < 5]
    weeks = days.to_period("W").start_time.unique()
    week_shock = dict(zip(weeks, rng.normal(0, 0.6, len(weeks))))
    agents = [f"A{i:03d}" for i in range(1, n_pilot + n_standard + 1)]
    cohort = ["pilot"] * n_pilot + ["standard"] * n_standard
    rows = []
    for agent, group in zip(agents, cohort):
        skill = rng.normal(0, 1.5)
        form, form_by_week = 0.0, {}
        for week in weeks:
            form = 0.5 * form + rng.normal(0, 0.6)
            form_by_week[week] = form
        for day in days:
            week = day.to_period("W").start_time
            treated = group == "pilot" and day >= ROLLOUT
            for _ in range(rng.poisson(tickets_per_day)):
                base = 12.0 + skill + week_shock[week] + form_by_week[week]
                handle = max(1.0, rng.normal(base - (2.4 if treated else 0.0), 3.0))
                fcr = rng.random() < 0.68 + (0.06 if treated else 0.0) - 0.01 * skill
                reopened = rng.random() < 0.07 + (0.05 if treated else 0.0)
                csat = (int(np.clip(round(rng.normal(4.1 - 0.05 * skill, 0.8)), 1, 5))
                        if rng.random() < 0.35 else None)
                rows.append((agent, group, day.date().isoformat(), round(handle, 1),
                             int(fcr), csat, int(reopened)))
    frame = pd.DataFrame(rows, columns=["agent_id", "cohort", "created_at", "handle_minutes",
                                        "resolved_first_contact", "csat", "reopened"])
    frame.insert(0, "ticket_id", [f"T{i:06d}" for i in range(1, len(frame) + 1)])
    frame["csat"] = frame["csat"].astype("Int64")
    return frame


if __name__ == "__main__":
    out = Path(__file__).parent / "data" / "tickets.csv"
    generate().to_csv(out, index=False)
    print(f"wrote {out}")
