"""The unit x period panel: one row per unit, period and window, aggregated per KPI in SQL.

Three rules keep the cells comparable, so that no estimate depends on how the calendar falls:

- **Weights.** Each cell carries what it weighs in a per-observation estimate: its number of
  observations (a rate: the sum of its denominator).
- **Counts and sums on a full grid.** A unit is present from its first to its last period with
  any row in the windows; a period in between without rows is a real zero for `count` and `sum`
  KPIs (no deals that week), not a missing value. Before and after that span the unit is absent.
- **Partial periods.** A period cut by a window edge (a pre window starting mid-week, data ending
  mid-month, the week split at the rollout) holds fewer days: `count` and `sum` values of such a
  cell are scaled to the whole period (x days in the period / days covered), so a short week is
  not read as a drop. Means and rates need no scaling.
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
                    time_kind: str, windows: dict[bool, tuple]) -> Panel:
    """Aggregate the cells of view `used` to the panel; `kpi_sql` is SQL for (value, count,
    weight) of each KPI in a panel cell (`pushdown.kpi_sql`); `windows` maps post -> (start,
    end) of the window clipped to the data."""
    period = period_expression(time_kind, experiment.analysis.period)
    parts = [f"{value} AS v{i}, {count} AS n{i}, {weight} AS w{i}"
             for i, (value, count, weight) in enumerate(kpi_sql)]
    unit_names = [r[0] for r in con.execute("SELECT unit FROM units ORDER BY unit").fetchall()]
    con.execute("CREATE TEMP TABLE unit_codes AS SELECT unit, "
                "CAST(row_number() OVER (ORDER BY unit) - 1 AS BIGINT) AS code FROM units")
    result = con.execute(
        f"SELECT code, arm = 'treatment' AS treated, win = 'post' AS post, {period} AS period, "
        f"{', '.join(parts)} FROM used JOIN unit_codes USING (unit) GROUP BY ALL"
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
        weights[kpi.id] = np.asarray(result[f"w{i}"], dtype=float)
        if kpi.aggregate in ("mean", "rate"):
            values[kpi.id][counts[kpi.id] == 0] = np.nan
    cohort = None
    if experiment.staggered:
        start = period_expression(time_kind, experiment.analysis.period, "ro")
        as_number = f"datediff('day', DATE '1970-01-01', {start})" if time_kind == "date" else start
        rows = con.execute(
            f"SELECT code, {as_number} FROM (SELECT unit, any_value(ro) AS ro FROM used "
            "GROUP BY unit) JOIN unit_codes USING (unit) WHERE ro IS NOT NULL").fetchall()
        cohort = np.full(len(unit_names), NEVER, dtype=np.int64)
        if rows:
            codes, starts = np.array(rows, dtype=np.int64).T
            cohort[codes] = starts
    panel = Panel(unit, unit_names, treated, post, periods, values, counts, weights, cohort)
    totals = [k for k in experiment.kpis if k.aggregate in ("count", "sum")]
    if totals:
        panel = _fill_grid(panel, [k.id for k in totals])
        if time_kind == "date":
            _scale_partial_periods(panel, [k.id for k in totals], experiment.analysis.period,
                                   windows)
    return panel


def _fill_grid(panel: Panel, totals: list[str]) -> Panel:
    """Add the missing cells of every unit's span (first to last event with rows): zero for the
    count and sum KPIs `totals`, missing for the others."""
    # an event is a period and side of the rollout; in waves the side is the unit's own
    side = panel.post if panel.cohort is None else np.zeros(len(panel.post), bool)
    event_keys, event = dense_codes(panel.period.view(np.int64) * 2 + side)
    n_units, n_events = len(panel.unit_names), len(event_keys)
    present = np.zeros((n_units, n_events), bool)
    present[panel.unit, event] = True
    first = present.argmax(axis=1)
    last = n_events - 1 - present[:, ::-1].argmax(axis=1)
    steps = np.arange(n_events)[None, :]
    span = (steps >= first[:, None]) & (steps <= last[:, None]) & present.any(axis=1)[:, None]
    missing_unit, missing_event = np.nonzero(span & ~present)
    if len(missing_unit) == 0:
        return panel
    treated_of_unit = np.zeros(n_units, bool)
    treated_of_unit[panel.unit] = panel.treated
    extra = len(missing_unit)

    def extend(array, fill):
        return np.concatenate([array, np.full(extra, fill, dtype=array.dtype)])

    values, counts, weights = {}, {}, {}
    for kpi_id in panel.values:
        values[kpi_id] = extend(panel.values[kpi_id], 0.0 if kpi_id in totals else np.nan)
        counts[kpi_id] = extend(panel.counts[kpi_id], 0)
        weights[kpi_id] = extend(panel.weights[kpi_id], 0.0)
    filled = event_keys[missing_event] // 2
    periods = np.concatenate([panel.period, filled.view(panel.period.dtype)])
    if panel.cohort is None:
        post = (event_keys[missing_event] % 2).astype(bool)
    else:
        post = filled >= panel.cohort[missing_unit]
    return Panel(
        unit=np.concatenate([panel.unit, missing_unit]), unit_names=panel.unit_names,
        treated=np.concatenate([panel.treated, treated_of_unit[missing_unit]]),
        post=np.concatenate([panel.post, post]),
        period=periods, values=values, counts=counts, weights=weights, cohort=panel.cohort)


def _scale_partial_periods(panel: Panel, totals: list[str], period: str,
                           windows: dict[bool, tuple]) -> None:
    """Scale count and sum cells of periods cut by a window edge to the whole period."""
    if period == "day":
        return
    keys, index = dense_codes(panel.period.view(np.int64) * 2 + panel.post)
    factors = np.ones(len(keys))
    for i, key in enumerate(keys):
        start_days, post = divmod(int(key), 2)
        start = dt.date(1970, 1, 1) + dt.timedelta(days=start_days)
        end = period_end(start, period)
        low, high = windows[bool(post)]
        covered = (min(end, high) - max(start, low)).days + 1
        if 0 < covered < (end - start).days + 1:
            factors[i] = ((end - start).days + 1) / covered
    if np.all(factors == 1):
        return
    factor = factors[index]
    for kpi_id in totals:
        panel.values[kpi_id] *= factor
