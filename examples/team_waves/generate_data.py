"""Generate the team-by-team rollout data (seeded, reproducible).

Northwind Utilities' customer-service centre rolled the Deskmate reply assistant out team by team:
the pilot team (North) on 2026-02-16, two more teams (East on 2026-03-23, South a day later) and
the rest of the front line (West) on 2026-04-27. The billing desk never got the assistant in
this period and is the comparison group. One row per agent and working day, 2026-01-05 to
2026-06-26, as the helpdesk's daily agent report exports it: tickets handled, their average
handle time, how many were resolved at first contact and how many were escalated. Each agent's
rollout date is in data/waves.csv (empty: never got it).

True effects of the assistant (what `valueproof analyze` should recover):
- handle_minutes:          grows over the first four weeks with the assistant (-0.75, -1.5,
                           -2.25 minutes), then -3.0 minutes per ticket (baseline about 12.5)
- resolved_first_contact:  grows the same way to +7 percentage points of tickets (baseline 66%)
- escalated:               +2.5 percentage points of tickets from the first day (baseline 8%): agents
                           escalate the assistant's unfamiliar cases more often — the KPI that
                           gets worse.

Agents differ in skill (a persistent agent effect), every week has a shared seasonal shock, and
each agent's weekly form follows an AR(1) process (rho = 0.5), as real team data do.

Run:  python generate_data.py   (writes data/agent_days.csv and data/waves.csv)
"""

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 7
# team: (agents, rollout date of the team, or None: never got the assistant)
TEAMS = {
    "North": (8, "2026-02-16"),
    "East": (5, "2026-03-23"),
    "South": (4, "2026-03-24"),
    "West": (7, "2026-04-27"),
    "Billing": (15, None),
}


def ramp(days_with_product: int) -> float:
    """Share of the full effect reached: a quarter more with each week of use, full after four."""
    return min(1.0, (days_with_product // 7 + 1) / 4)


def generate(seed: int = SEED, tickets_per_day: float = 14.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2026-01-05", "2026-06-26", freq="D")
    days = days[days.day_of_week < 5]
    weeks = days.to_period("W").start_time.unique()
    week_shock = dict(zip(weeks, rng.normal(0, 0.5, len(weeks))))
    rows, rollouts, number = [], [], 0
    for team, (size, rollout) in TEAMS.items():
        start = pd.Timestamp(rollout) if rollout else None
        for _ in range(size):
            number += 1
            agent = f"NW{number:03d}"
            rollouts.append((agent, rollout or ""))
            skill = rng.normal(0, 1.4)
            form, form_by_week = 0.0, {}
            for week in weeks:
                form = 0.5 * form + rng.normal(0, 0.5)
                form_by_week[week] = form
            for day in days:
                week = day.to_period("W").start_time
                share = ramp((day - start).days) if start is not None and day >= start else 0.0
                treated = start is not None and day >= start
                tickets = rng.poisson(tickets_per_day)
                if tickets == 0:
                    continue
                base = 12.5 + skill + week_shock[week] + form_by_week[week]
                handle = max(1.0, rng.normal(base - 3.0 * share, 3.0 / np.sqrt(tickets)))
                fcr = rng.binomial(tickets, 0.66 + 0.07 * share - 0.012 * skill)
                escalated = rng.binomial(tickets, 0.08 + (0.025 if treated else 0.0))
                rows.append((agent, team, day.date().isoformat(), tickets, round(handle, 2),
                             fcr, escalated))
    daily = pd.DataFrame(rows, columns=["agent_id", "team", "date", "tickets", "handle_minutes",
                                        "resolved_first_contact", "escalated"])
    waves = pd.DataFrame(rollouts, columns=["unit", "rollout"])
    return daily, waves


if __name__ == "__main__":
    folder = Path(__file__).parent / "data"
    daily, waves = generate()
    daily.to_csv(folder / "agent_days.csv", index=False)
    waves.to_csv(folder / "waves.csv", index=False)
    print(f"wrote {folder / 'agent_days.csv'} ({len(daily)} agent-days) and {folder / 'waves.csv'}")
