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

Adoption data (from a separate random stream, ADOPTION_SEED, so tickets.csv does not depend on
it), as of 2026-09-30 with 32 seats bought for the pilot agents A001-A032:
- copilot_usage.csv, one row per agent, weekday and feature used (drafts, summaries, kb_search)
  from the onboarding on 2026-07-01: 29 agents start within their first three weeks, 3 never
  do, and one (A029) stops on 2026-08-21. True: 28 active users in the 28 days to 2026-09-30,
  utilisation 28 / 32 = 87.5%; an agent who uses it does so on 75% of weekdays (stickiness
  about 0.75 x 20 / 28 = 0.54 in daily over 28-day actives); every agent drafts, 70% of them
  also use summaries and 40% kb_search (the feature shares of active users). Half the seats
  (16) are first used within the first week.
- training.csv: the 32 pilot agents; 10 completed the course in June, 14 more in July and
  August, 8 not yet. True completion 24 / 32 = 75% (31.25% at 2026-06-30).
- nps.csv: a quarterly survey of all 80 agents about Helpdeskly, answered in mid-May and
  mid-September (about 65% respond). True NPS: Q2 +2 (30% promoters, 28% detractors), Q3 +25
  (45% promoters, 20% detractors).
- vendor_support.csv: the tickets Acme opened with Helpdeskly's support, 4 a week in Q2 and 6 a
  week in Q3 (rollout questions), priority high 20%, normal 60%, low 20%; time to resolution
  log-normal with medians 8 h (high), 30 h (normal), 60 h (low), spread sigma 0.8.

Run:  python generate_data.py   (writes data/tickets.csv and the four adoption files)
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


ADOPTION_SEED = 14
ONBOARDED = pd.Timestamp("2026-07-01")
SEATS = 32


def generate_adoption(seed: int = ADOPTION_SEED) -> dict[str, pd.DataFrame]:
    """Usage, training, NPS and vendor support tickets (true values in the module docstring)."""
    rng = np.random.default_rng(seed)
    users = [f"A{i:03d}" for i in range(1, SEATS + 1)]
    weekdays = pd.date_range(ONBOARDED, "2026-09-30", freq="B")
    usage = []
    for number, user in enumerate(users, start=1):
        if number > 29:  # three agents never start
            continue
        start = ONBOARDED + pd.Timedelta(days=int(rng.exponential(4.0)) % 21)
        stop = pd.Timestamp("2026-08-21") if user == "A029" else weekdays[-1]
        # Everyone drafts; some agents also summarise, fewer search the knowledge base.
        habits = [("drafts", 0.9)] + [(f, p) for f, p, share in (
            ("summaries", 0.6, 0.7), ("kb_search", 0.4, 0.4)) if rng.random() < share]
        for day in weekdays[(weekdays >= start) & (weekdays < stop + pd.Timedelta(days=1))]:
            if rng.random() >= 0.75:
                continue
            used = [f for f, p in habits if rng.random() < p] or ["drafts"]
            for feature in used:
                usage.append((user, day.date().isoformat(), feature, int(rng.integers(1, 15))))
    training = []
    order = rng.permutation(SEATS)
    for rank, index in enumerate(order):
        if rank < 10:
            done = pd.Timestamp("2026-06-15") + pd.Timedelta(days=int(rng.integers(0, 16)))
        elif rank < 24:
            done = pd.Timestamp("2026-07-01") + pd.Timedelta(days=int(rng.integers(0, 62)))
        else:
            done = None
        training.append((users[index], done.date().isoformat() if done is not None else ""))
    answers = []
    for wave, shares in (("2026-05-11", (0.30, 0.42, 0.28)), ("2026-09-14", (0.45, 0.35, 0.20))):
        for agent in range(1, 81):
            if rng.random() >= 0.65:
                continue
            kind = rng.choice(3, p=shares)
            score = int(rng.choice([9, 10] if kind == 0 else [7, 8] if kind == 1 else range(7)))
            day = pd.Timestamp(wave) + pd.Timedelta(days=int(rng.integers(0, 10)))
            answers.append((f"R{len(answers) + 1:04d}", day.date().isoformat(), score))
    tickets = []
    for start, end, per_week in (("2026-04-01", "2026-06-30", 4), ("2026-07-01", "2026-09-30", 6)):
        span = (pd.Timestamp(end) - pd.Timestamp(start)).days + 1
        for _ in range(rng.poisson(per_week * span / 7)):
            opened = pd.Timestamp(start) + pd.Timedelta(minutes=int(rng.integers(0, span * 1440)))
            priority = rng.choice(["high", "normal", "low"], p=[0.2, 0.6, 0.2])
            median = {"high": 8, "normal": 30, "low": 60}[priority]
            resolved = opened + pd.Timedelta(hours=float(median * np.exp(rng.normal(0, 0.8))))
            shown = "" if resolved > pd.Timestamp("2026-10-08") else resolved.strftime("%Y-%m-%d %H:%M")
            tickets.append((opened, shown, priority))
    tickets.sort()
    return {
        "copilot_usage.csv": pd.DataFrame(usage, columns=["user_id", "used_on", "feature",
                                                          "actions"]),
        "training.csv": pd.DataFrame(sorted(training), columns=["user_id", "completed_on"]),
        "nps.csv": pd.DataFrame(answers, columns=["respondent_id", "answered_on", "score"]),
        "vendor_support.csv": pd.DataFrame(
            [(f"S{i:04d}", o.strftime("%Y-%m-%d %H:%M"), r, p)
             for i, (o, r, p) in enumerate(tickets, start=1)],
            columns=["ticket_id", "opened_at", "resolved_at", "priority"]),
    }


if __name__ == "__main__":
    folder = Path(__file__).parent / "data"
    generate().to_csv(folder / "tickets.csv", index=False)
    for name, frame in generate_adoption().items():
        frame.to_csv(folder / name, index=False)
    print(f"wrote {folder}")
