"""A small account without a control group and its donor accounts, written as real files.

The account's teams and every donor follow one factor model (own level, own loading on a shared
weekly factor, noise); the account's rows get `effect` after the rollout. Small on purpose (a
dozen donors, a dozen weeks): the tests run the whole CLI on it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROLLOUT = dt.date(2026, 3, 2)
WEEKS = [ROLLOUT + dt.timedelta(weeks=k) for k in range(-8, 4)]


def portfolio(n_donors: int = 12, n_teams: int = 4, effect: float = -2.0, seed: int = 5):
    """(the account's rows: team, week, minutes, tickets; the donors' rows: account, week,
    avg_minutes, tickets, first_used)."""
    rng = np.random.default_rng(seed)
    factor = np.cumsum(rng.normal(0, 1.0, len(WEEKS)))
    donors = []
    for d in range(1, n_donors + 1):
        level, loading = rng.normal(20, 2), rng.normal(1, 0.3)
        for w, week in enumerate(WEEKS):
            donors.append((f"donor-{d:02d}", week, round(level + loading * factor[w]
                                                         + rng.normal(0, 0.3), 3),
                           int(rng.integers(50, 80)), None))
    teams = []
    for team in range(1, n_teams + 1):
        level = rng.normal(20, 1)
        for w, week in enumerate(WEEKS):
            post = week >= ROLLOUT
            teams.append((f"T{team}", week, round(level + factor[w] + effect * post
                                                   + rng.normal(0, 0.3), 3),
                          int(rng.integers(50, 80))))
    return (pd.DataFrame(teams, columns=["team", "week", "minutes", "tickets"]),
            pd.DataFrame(donors, columns=["account", "week", "avg_minutes", "tickets",
                                          "first_used"]))


def definition(**comparison) -> dict:
    """The account's definition with `comparison` keys merged over the defaults."""
    settings = {"donors": {"path": "donors.csv", "unit": "account", "time": "week",
                           "rollout": "first_used"},
                "columns": {"minutes": "avg_minutes"}, "min_donors": 5}
    settings.update(comparison)
    return {
        "name": "Routing assistant", "customer": {"name": "Fjord Freight"},
        "data": {"path": "teams.csv", "unit": "team", "time": "week"},
        "rollout": ROLLOUT.isoformat(), "comparison": settings,
        "pre": {"start": WEEKS[0].isoformat(),
                "end": (ROLLOUT - dt.timedelta(days=1)).isoformat()},
        "analysis": {"period": "week"},
        "kpis": [{"id": "minutes", "label": "Minutes per ticket", "column": "minutes",
                  "unit": "min", "better": "lower"},
                 {"id": "tickets", "label": "Tickets per week", "column": "tickets",
                  "aggregate": "sum", "better": "higher"}],
    }


def write_portfolio(folder: Path, *, donors: pd.DataFrame | None = None,
                    teams: pd.DataFrame | None = None, n_kpis: int = 2, **comparison) -> Path:
    """The account's teams.csv, the donors' donors.csv and experiment.yaml (its first `n_kpis`
    KPIs) in `folder`."""
    simulated = portfolio()
    (teams if teams is not None else simulated[0]).to_csv(folder / "teams.csv", index=False)
    (donors if donors is not None else simulated[1]).to_csv(folder / "donors.csv", index=False)
    path = folder / "experiment.yaml"
    spec = definition(**comparison)
    spec["kpis"] = spec["kpis"][:n_kpis]
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path
