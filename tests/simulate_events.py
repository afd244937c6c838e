"""Event rows (one row per deal or ticket) for the full-grid checks: tests/data/test_grid_roster.py and
the `counts` section of benchmarks/calibration.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROLLOUT = dt.date(2026, 3, 2)  # a Monday


def event_rows(rng: np.random.Generator, n_treated: int = 20, n_control: int = 20,
               weeks: int = 12, pre_weeks: int = 6, rate: float = 0.4, effect: float = 0.3,
               start: dt.date | None = None) -> pd.DataFrame:
    """One row per event: each unit's events per week are Poisson(rate, + `effect` for treated
    units after the rollout), on random days of the week; weeks without events have no row.
    Columns event (an ID), unit, group (T or C), day (ISO date)."""
    start = start or ROLLOUT - dt.timedelta(weeks=pre_weeks)
    n_units = n_treated + n_control
    treated = np.arange(n_units) < n_treated
    after = np.arange(weeks) >= pre_weeks
    means = rate + effect * (treated[:, None] & after[None, :])
    counts = rng.poisson(means)
    unit = np.repeat(np.repeat(np.arange(n_units), weeks), counts.ravel())
    week = np.repeat(np.tile(np.arange(weeks), n_units), counts.ravel())
    day = week * 7 + rng.integers(0, 7, len(week))
    days = np.datetime64(start.isoformat()) + day.astype("timedelta64[D]")
    return pd.DataFrame({"event": np.arange(len(unit)), "unit": [f"u{u:03d}" for u in unit],
                         "group": np.where(treated[unit], "T", "C"),
                         "day": days.astype(str)})


def write_definition(folder: Path, frame: pd.DataFrame, n_treated: int, n_control: int,
                     data_name: str = "events.csv", groups_file: bool = True,
                     **changes) -> Path:
    """An experiment counting the rows of `frame` per unit-week, with the groups in a file
    listing every unit (`groups_file`) or in the data's column."""
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / data_name
    (frame.drop(columns="group") if groups_file else frame).to_csv(data, index=False) \
        if data_name.endswith(".csv") else \
        (frame.drop(columns="group") if groups_file else frame).to_parquet(data, index=False)
    units = [f"u{u:03d}" for u in range(n_treated + n_control)]
    groups = {"column": "group", "treatment": "T", "control": "C"}
    if groups_file:
        pd.DataFrame({"unit": units, "group": ["T"] * n_treated + ["C"] * n_control}).to_csv(
            folder / "groups.csv", index=False)
        groups = {"file": "groups.csv", "treatment": "T", "control": "C"}
    definition = {"name": "Events", "data": {"path": data_name, "unit": "unit", "time": "day"},
                  "groups": groups, "rollout": ROLLOUT.isoformat(),
                  "kpis": [{"id": "events", "aggregate": "count", "better": "higher"}]}
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(definition.get(key), dict):
            definition[key] = {**definition[key], **value}
        else:
            definition[key] = value
    path = folder / "experiment.yaml"
    path.write_text(yaml.safe_dump(definition, sort_keys=False))
    return path


def wave_event_rows(rng: np.random.Generator, waves: tuple[int, ...] = (10, 10),
                    never: int = 20, weeks: int = 12, first_wave: int = 4, spacing: int = 3,
                    rate: float = 0.4, effect: float = 0.3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A rollout in waves, one row per event: wave w (of `waves[w]` units) gets the product on
    the Monday of week first_wave + w * spacing, `never` units never do; each unit's events per
    week are Poisson(rate, + `effect` from its rollout on). Returns the rows (event, unit, day)
    and the rollout file (unit, rollout; empty: never)."""
    start = ROLLOUT - dt.timedelta(weeks=first_wave)
    starts = np.concatenate([np.full(n, first_wave + w * spacing) for w, n in enumerate(waves)]
                            + [np.full(never, weeks + 100)])
    means = rate + effect * (np.arange(weeks)[None, :] >= starts[:, None])
    counts = rng.poisson(means)
    n_units = len(starts)
    unit = np.repeat(np.repeat(np.arange(n_units), weeks), counts.ravel())
    week = np.repeat(np.tile(np.arange(weeks), n_units), counts.ravel())
    days = np.datetime64(start.isoformat()) + (week * 7 + rng.integers(0, 7, len(week))).astype(
        "timedelta64[D]")
    rows = pd.DataFrame({"event": np.arange(len(unit)), "unit": [f"u{u:03d}" for u in unit],
                         "day": days.astype(str)})
    rollout = [str(start + dt.timedelta(weeks=int(s))) if s < weeks else "" for s in starts]
    return rows, pd.DataFrame({"unit": [f"u{u:03d}" for u in range(n_units)], "rollout": rollout})


def with_leavers(rng: np.random.Generator, frame: pd.DataFrame, n_units: int,
                 share: float = 0.25, weeks: int = 12, pre_weeks: int = 6
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`share` of the units (at random, in both groups alike) leave on a random day between the
    third and the third-to-last week: their rows after it are dropped. Returns the rows and the
    roster of the leavers (unit, start empty, end: their last day)."""
    start = ROLLOUT - dt.timedelta(weeks=pre_weeks)
    leaving = rng.choice(n_units, size=int(round(share * n_units)), replace=False)
    last = {f"u{u:03d}": start + dt.timedelta(days=int(rng.integers(14, (weeks - 2) * 7)))
            for u in leaving}
    ends = frame["unit"].map(lambda u: last.get(u, dt.date.max).isoformat())
    kept = frame[frame["day"] <= ends]
    roster = pd.DataFrame({"unit": list(last), "start": "", "end": [d.isoformat()
                                                                  for d in last.values()]})
    return kept, roster
