"""The unit x period panel: one row per unit, period and window, aggregated per KPI in SQL.

Three rules keep the cells comparable, so that no estimate depends on how the calendar falls:

- **Weights.** Each cell carries what it weighs in a per-observation estimate: its number of
  observations (a rate: the sum of its denominator).
- **Counts and sums on a full grid.** Every unit of the assignment is on every period of the
  compared windows (within its dates when `data.roster` lists it); a period without rows is a
  real zero for `count` and `sum` KPIs (no deals that week), not a missing value (`grid`).
- **Partial periods.** A period cut by a window edge (a pre window starting mid-week, data ending
  mid-month, the week split at the rollout) or by a unit's roster dates holds fewer days: `count`
  and `sum` values of such a cell are scaled to the whole period (x days in the period / days
  covered), so a short week is not read as a drop. Means and rates need no scaling.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from valueproof.config.schema import Experiment

PERIOD_DAYS = {"day": 1, "week": 7}


@dataclass(frozen=True)
class Panel:
    """One row per unit x period x window cell, aggregated per KPI.

    `values[kpi]` is the KPI's aggregate in the cell (mean, sum, count or ratio of sums) and NaN
    when the cell has no usable observation of that KPI; `counts[kpi]` is how many observations it
    uses; `weights[kpi]` what the cell weighs per observation (observations, or a rate's
    denominator sum).
    """

    unit: np.ndarray  # int codes into unit_names
    unit_names: list[str]
    treated: np.ndarray  # bool
    post: np.ndarray  # bool
    period: np.ndarray  # datetime64[D] or int64: start of the period
    values: dict[str, np.ndarray]
    counts: dict[str, np.ndarray]
    weights: dict[str, np.ndarray] = field(default_factory=dict)
    # A rollout in waves: start of each unit's first period with the product (by unit code, as
    # int64 days or periods), NEVER for units never treated; None for a common rollout.
    cohort: np.ndarray | None = None


NEVER = np.iinfo(np.int64).max


def dense_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted unique values, code of each value) like np.unique(return_inverse=True), but O(n)
    through bincount when the values are integers (or days) in a modest range."""
    as_int = values.view(np.int64) if values.dtype.kind in "iM" and values.itemsize == 8 else None
    if as_int is not None and len(as_int):
        low, high = int(as_int.min()), int(as_int.max())
        if high - low < 4 * len(as_int) + 1024:
            offsets = as_int - low
            present = np.bincount(offsets, minlength=high - low + 1) > 0
            if present.all():  # already dense (unit codes, periods without gaps): no remapping
                return np.arange(low, high + 1, dtype=np.int64).view(values.dtype), offsets
            codes = np.cumsum(present) - 1
            uniques = (np.flatnonzero(present) + low).astype(np.int64).view(values.dtype)
            return uniques, codes[offsets]
    return np.unique(values, return_inverse=True)


def period_expression(time_kind: str, period: str, column: str = "t") -> str:
    """SQL for the start of the period containing `column`."""
    if time_kind == "period" or period == "day":
        return column
    return f"CAST(date_trunc('{period}', {column}) AS DATE)"


def align_to_period(day: dt.date, period: str) -> dt.date:
    """The first whole period's start on or after `day`."""
    start = period_start(day, period)
    return day if start == day else period_end(start, period) + dt.timedelta(days=1)


def period_start(day: dt.date, period: str) -> dt.date:
    if period == "day":
        return day
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)


def period_end(start: dt.date, period: str) -> dt.date:
    if period in PERIOD_DAYS:
        return start + dt.timedelta(days=PERIOD_DAYS[period] - 1)
    months = 1 if period == "month" else 3
    year, month = divmod(start.month - 1 + months, 12)
    return dt.date(start.year + year, month + 1, 1) - dt.timedelta(days=1)


def aggregate_panel(con, experiment: Experiment, kpi_sql: list[tuple[str, str, str]],
                    time_kind: str, layout, grouped: bool = True) -> Panel:
    """Aggregate the cells of view `used` to the panel; `kpi_sql` is SQL for (value, count,
    weight) of each KPI in a panel cell (`pushdown.kpi_sql`); `layout` (`grid.Layout`) the
    panel's units (table `unit_codes`) and the grid its count and sum KPIs are read on. Not
    `grouped`: the cells are one per panel cell already, and `kpi_sql` is of one cell."""
    period = period_expression(time_kind, experiment.analysis.period)
    # a weight that is the count (every KPI but a rate) is read once, as the count
    parts = [f"{value} AS v{i}, {count} AS n{i}"
             + (f", {weight} AS w{i}" if weight != count else "")
             for i, (value, count, weight) in enumerate(kpi_sql)]
    result = con.execute(
        f"SELECT code, arm = 'treatment' AS treated, win = 'post' AS post, {period} AS period, "
        f"{', '.join(parts)} FROM used JOIN unit_codes USING (unit){' GROUP BY ALL' if grouped else ''}"
    ).fetchnumpy()
    unit = np.asarray(result["code"], dtype=np.int64)
    periods = np.asarray(result["period"])
    periods = periods.astype("datetime64[D]") if time_kind == "date" else periods.astype(np.int64)
    treated = np.asarray(result["treated"], dtype=bool)
    post = np.asarray(result["post"], dtype=bool)
    values, counts, weights = {}, {}, {}
    for i, kpi in enumerate(experiment.kpis):
        values[kpi.id] = np.asarray(result[f"v{i}"], dtype=float)
        counts[kpi.id] = np.asarray(result[f"n{i}"], dtype=np.int64)
        weights[kpi.id] = np.asarray(result.get(f"w{i}", counts[kpi.id]), dtype=float)
        if kpi.aggregate in ("mean", "rate"):
            values[kpi.id][counts[kpi.id] == 0] = np.nan
    panel = Panel(unit, layout.unit_names, treated, post, periods, values, counts, weights,
                  layout.cohort)
    totals = [k.id for k in experiment.kpis if k.aggregate in ("count", "sum")]
    return layout.fill(panel, totals) if totals else panel
