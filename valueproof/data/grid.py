"""The grid that counts and sums are read on: which unit x period cells exist, and which hold a
real zero.

Data of one row per event (a deal, a ticket) have no row for a week without events. Placing a
unit only from its first to its last row drops its empty weeks at the edges instead of counting
them as zeros, which biases a count's effect toward zero (about -20% at 0.4 events per
unit-week) however many units there are. So, for `count` and `sum` KPIs:

- **full** (the default): every unit of the assignment — the groups file or table, the rollout
  file or table, or every unit seen anywhere in the data when the groups (or rollouts) are a
  column of it — is on every period of the compared windows; a cell without rows is zero.
  Means and rates have no value in such a cell: it stays missing.
- **roster** (`data.roster`): as full, but a unit the roster lists is on the grid only in the
  periods that meet its active dates; outside them it is absent, not zero.
- **span**: a repeated cross-section (units seen once by nature): a unit is on the grid from
  its first to its last period with rows.
- **none**: no count or sum KPI; cells are only those with rows.

A count or sum cell that covers only part of its period — a window edge, or a roster date
inside the period — is scaled to the whole period (x days in the period / days the unit was
active in it inside the window), so no partial period reads as a drop.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from valueproof.data import roster as rosters
from valueproof.data.came_and_went import came_and_went
from valueproof.data.findings import Finding
from valueproof.data.panel import NEVER, Panel, period_end, period_expression, period_start

EPOCH = dt.date(1970, 1, 1)
TOTALS = ("count", "sum")


@dataclass(frozen=True)
class GridSummary:
    """What `validate` prints about the grid: its rule, and how many cells hold a zero that no
    row gave."""

    rule: str  # full | roster | span | none
    units: int  # units on the grid
    cells: int  # their cells in the compared windows
    zero_filled: int  # cells without rows: zero for count and sum KPIs
    units_without_rows: int  # units on the grid with no row in the compared windows
    roster_units: int = 0  # units with dates in data.roster


@dataclass
class Layout:
    """The panel's units and the grid of its events (a period and side of the rollout; with a
    rollout in waves a period), with the days each unit was active in each event."""

    rule: str
    unit_names: list[str]
    treated: np.ndarray  # bool, by unit code
    cohort: np.ndarray | None  # waves: each unit's first period with the product, or NEVER
    keys: np.ndarray  # sorted event keys: period * 2 + post (waves: period)
    period_days: np.ndarray  # days in each event's period the data could have rows on
    active: np.ndarray  # (units, events) days active inside the window (0: not on the grid)
    window_days: np.ndarray  # days of each event's period inside its window
    scale: bool  # date data with periods longer than a day: scale partial cells
    summary: GridSummary | None = None
    one_cell_each: bool = False  # each panel cell is one cell of `used` (seen with the grid)

    def present(self, unit: np.ndarray, period: np.ndarray, post: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(units x events matrix of cells with rows, each cell's event, whether it is one)."""
        key = period.view(np.int64) if self.cohort is not None else \
            period.view(np.int64) * 2 + post
        # each key's event through a table over the keys' range, a sentinel (no event) at both
        # ends: one look-up per cell (a binary search of a million cells took 5x as long)
        low, count = (int(self.keys[0]), len(self.keys)) if len(self.keys) else (0, 0)
        span = int(self.keys[-1]) - low + 1 if count else 0
        table = np.full(span + 2, count, np.int64)
        table[self.keys - low + 1] = np.arange(count)
        event = table[np.clip(key - (low - 1), 0, span + 1)]
        known = event < count
        matrix = np.zeros(self.active.shape, bool)
        matrix[unit[known], event[known]] = True
        return matrix, event, known

    def on_grid(self, present: np.ndarray) -> np.ndarray:
        """The cells that exist: with rows, or on the grid by the rule."""
        if self.rule in ("full", "roster"):
            return (self.active > 0) | present
        if self.rule == "span":
            steps = np.arange(present.shape[1])[None, :]
            first = present.argmax(axis=1)[:, None]
            last = present.shape[1] - 1 - present[:, ::-1].argmax(axis=1)[:, None]
            return (steps >= first) & (steps <= last) & present.any(axis=1)[:, None]
        return present

    def fill(self, panel: Panel, totals: list[str]) -> Panel:
        """The panel with the grid's missing cells added (zero for the count and sum KPIs
        `totals`, missing for the others) and its partial cells of `totals` scaled."""
        present, event, known = self.present(panel.unit, panel.period, panel.post)
        missing_unit, missing_event = np.nonzero(self.on_grid(present) & ~present)
        extra = len(missing_unit)
        values, counts, weights = {}, {}, {}
        for kpi_id in panel.values:
            values[kpi_id] = _extend(panel.values[kpi_id], extra,
                                     0.0 if kpi_id in totals else np.nan)
            counts[kpi_id] = _extend(panel.counts[kpi_id], extra, 0)
            weights[kpi_id] = _extend(panel.weights[kpi_id], extra, 0.0)
        filled = self.keys[missing_event] if self.cohort is not None else \
            self.keys[missing_event] // 2
        if self.cohort is None:
            post = (self.keys[missing_event] % 2).astype(bool)
        else:
            post = filled >= self.cohort[missing_unit]
        unit = np.concatenate([panel.unit, missing_unit])
        if self.scale and totals:
            # each unit's factor in each event: the period's days over the days active in it
            # inside the window (rows outside a unit's roster dates: the window's days); only
            # the cells of events where some factor is not 1 are scaled (x * 1.0 is x)
            days = self.active.astype(float)
            days = np.where(days > 0, days, self.window_days[None, :])
            factor = np.divide(self.period_days[None, :].astype(float), days,
                               out=np.ones(days.shape), where=days > 0)
            partial = (factor != 1).any(axis=0)
            event = np.concatenate([event, missing_event])
            known = np.concatenate([known, np.ones(extra, bool)])
            cells = np.flatnonzero(known & partial[np.where(known, event, 0)])
            for kpi_id in totals:
                values[kpi_id][cells] *= factor[unit[cells], event[cells]]
        return Panel(
            unit=unit, unit_names=panel.unit_names,
            treated=np.concatenate([panel.treated, self.treated[missing_unit]]),
            post=np.concatenate([panel.post, post]),
            period=np.concatenate([panel.period, filled.view(panel.period.dtype)]),
            values=values, counts=counts, weights=weights, cohort=panel.cohort)


def _extend(array: np.ndarray, extra: int, fill) -> np.ndarray:
    return np.concatenate([array, np.full(extra, fill, dtype=array.dtype)])


def _number(point) -> int:
    return (point - EPOCH).days if isinstance(point, dt.date) else int(point)


def _sql(point) -> str:
    return f"DATE '{point.isoformat()}'" if isinstance(point, dt.date) else str(int(point))


def events(windows: dict[bool, tuple], period: str, time_kind: str, staggered: bool):
    """(keys, first day, last day, window's first and last day) of every event of the compared
    windows, as day numbers (or integer periods), in key order."""
    rows = []
    for post in (False,) if staggered else (False, True):
        low, high = windows[post]
        if time_kind != "date":
            rows += [(p if staggered else p * 2 + post, p, p, low, high)
                     for p in range(int(low), int(high) + 1)]
            continue
        start = period_start(low, period)
        while start <= high:
            end = period_end(start, period)
            first = _number(start)
            rows.append((first if staggered else first * 2 + post, first, _number(end),
                         _number(low), _number(high)))
            start = end + dt.timedelta(days=1)
    rows.sort()
    return [np.array(column, dtype=np.int64) for column in zip(*rows)] if rows else \
        [np.zeros(0, np.int64)] * 5


def day_counter(con, time_kind: str):
    """A function giving the days in [a, b] (arrays of day numbers, or periods) that the data
    could have rows on: every day, or Monday to Friday when no row of the data falls on a
    weekend (seen from the cells' first and last days: an export of business days that ends on
    a Friday covers its whole week). Integer periods count one each."""
    every = lambda a, b: np.clip(b - a + 1, 0, None)  # noqa: E731
    if time_kind != "date":
        return every
    dates, weekend = con.execute(
        "SELECT count(DISTINCT d), count(*) FILTER (WHERE dayofweek(d) IN (0, 6)) FROM (SELECT "
        "t AS d FROM tagged UNION ALL SELECT t_end FROM tagged) WHERE d IS NOT NULL").fetchone()
    if dates < 5 or weekend:
        return every
    # day number 0 (1970-01-01) is a Thursday: residues 2 and 3 are Saturday and Sunday
    weekday = np.array([1, 1, 0, 0, 1, 1, 1])
    before = np.concatenate([[0], np.cumsum(weekday)])  # weekdays among residues below r

    def weekdays(a, b):
        upto = lambda x: (x // 7) * 5 + before[x % 7]  # noqa: E731  weekdays in [0, x)
        return np.clip(upto(np.asarray(b) + 1) - upto(np.asarray(a)), 0, None)

    return weekdays


def prepare(con, experiment, design: str, time_kind: str, arm_sql: str, windows: tuple,
            data_range: tuple) -> tuple[Layout, list]:
    """The panel's units (the table `unit_codes`: unit, code) and the grid they are read on,
    with its summary and warnings. Needs the views `tagged` (every row of a unit with a group)
    and `used` (the rows of the compared windows) and the table `units`; `windows` are the pre
    and post `Window`s, `data_range` the data's first and last day (or period); `arm_sql` gives
    a group value `grp` its arm."""
    period = experiment.analysis.period
    staggered = experiment.staggered
    (pre, post), (first_day, last_day) = windows, data_range
    # the windows as the data cover them: a period cut by these edges is partial; a rollout in
    # waves has one window (cells split at a rollout stay whole, see `waves`)
    covered = {False: (max(pre.start, first_day), min(pre.end, last_day)),
               True: (max(post.start, first_day), min(post.end, last_day))}
    if staggered:
        covered[False] = covered[True] = (max(pre.start, first_day), min(post.end, last_day))
    totals = [k.id for k in experiment.kpis if k.aggregate in TOTALS]
    read = rosters.register(con, experiment, time_kind)
    _register_units(con, experiment, arm_sql, time_kind, pre, post)
    rule = ("none" if not totals else "span" if design == "cross_section"
            else "roster" if read else "full")
    as_number = ("datediff('day', DATE '1970-01-01', {})" if time_kind == "date" else "{}")
    start_of = as_number.format(period_expression(time_kind, period, "ro")) if staggered \
        else "NULL"
    rows = con.execute(
        f"SELECT unit, arm = 'treatment', coalesce({start_of}, {NEVER}), "
        "unit IN (SELECT unit FROM units) FROM panel_units ORDER BY unit").fetchall()
    names = [r[0] for r in rows]
    keys, first, last, low, high = events(covered, period, time_kind, staggered)
    count_days = day_counter(con, time_kind)
    base_low, base_high = np.maximum(first, low), np.minimum(last, high)
    period_days, window_days = count_days(first, last), count_days(base_low, base_high)
    active = np.broadcast_to(window_days.astype(np.int16), (len(names), len(keys))).copy()
    spans = rosters.spans(con, time_kind) if read else {}
    position = {name: i for i, name in enumerate(names)}
    for unit, own in spans.items():
        if unit in position:
            days = np.zeros(len(keys), np.int64)
            for start, end in own:
                days += count_days(np.maximum(base_low, start), np.minimum(base_high, end))
            active[position[unit]] = days
    with_rows = np.array([r[3] for r in rows], bool)
    keep = with_rows | ((active > 0).any(axis=1) & (rule in ("full", "roster")))
    kept = [name for name, k in zip(names, keep) if k]
    con.execute("CREATE TEMP TABLE unit_codes AS SELECT unnest(?) AS unit, "
                "CAST(unnest(?) AS BIGINT) AS code", [kept, list(range(len(kept)))])
    layout = Layout(
        rule=rule, unit_names=kept, treated=np.array([r[1] for r in rows], bool)[keep],
        cohort=np.array([r[2] for r in rows], np.int64)[keep] if staggered else None,
        keys=keys, period_days=period_days, active=active[keep], window_days=window_days,
        scale=time_kind == "date" and period != "day")
    findings = rosters.findings(con, read[1]) if read else []
    listed_units = sum(1 for unit in spans if unit in position)
    if not totals:
        layout.summary = GridSummary(rule, len(kept), 0, 0, 0, listed_units)
        return layout, findings
    # every unit's cells with a group, by period and window (one statement serves the grid,
    # which reads those in the windows, and `came_and_went`, which reads them all)
    number = "datediff('day', DATE '1970-01-01', {})" if time_kind == "date" else "{}"
    cells = con.execute(
        f"SELECT code, arm = 'treatment' AS treated, "
        f"{number.format(period_expression(time_kind, period, 't'))} AS p, "
        "win IS NOT NULL AS windowed, coalesce(win = 'post', false) AS post, count(*) AS cells, "
        f"sum(n) AS n, {number.format('min(t)')} AS first, {number.format('max(t_end)')} AS last "
        "FROM windowed JOIN unit_codes USING (unit) GROUP BY ALL").fetchnumpy()
    windowed = np.asarray(cells["windowed"], bool)
    layout.one_cell_each = bool(np.all(np.asarray(cells["cells"])[windowed] == 1))
    periods = np.asarray(cells["p"], np.int64)[windowed]
    periods = periods.astype("datetime64[D]") if time_kind == "date" else periods
    present = layout.present(np.asarray(cells["code"], np.int64)[windowed], periods,
                             np.asarray(cells["post"], bool)[windowed])[0]
    on = layout.on_grid(present)
    on_units = on.any(axis=1)
    empty = on_units & ~present.any(axis=1)
    layout.summary = GridSummary(rule, int(on_units.sum()), int(on.sum()),
                                 int((on & ~present).sum()), int(empty.sum()), listed_units)
    if rule in ("full", "roster"):
        findings += _empty_units(experiment, [n for n, e in zip(kept, empty) if e], totals)
        listed = np.array([name in spans for name in kept], bool)
        findings += came_and_went(experiment, time_kind, kept, on_units & ~listed & ~empty,
                                  int(first.min()) if len(keys) else None,
                                  int(first.max()) if len(keys) else None, totals, cells)
    return layout, findings


def _register_units(con, experiment, arm_sql: str, time_kind: str, pre, post) -> None:
    """The table `panel_units` (unit, arm, ro): every unit seen with a group in the data, and
    every unit of the groups (or rollout) file or table with a group, seen or not. A listed
    unit whose rollout falls in the first period of the data or before has no period before it
    and no rows to say so: it is left out, as such units with rows are refused."""
    staggered = experiment.staggered
    ro = "any_value(ro)" if staggered else "NULL"
    con.execute(f"CREATE TEMP TABLE panel_units AS SELECT unit, any_value(arm) AS arm, {ro} AS ro "
                "FROM tagged WHERE arm IS NOT NULL GROUP BY unit")
    listed = None
    if not staggered and not experiment.groups.column and not experiment.groups.labels_only:
        listed = f"SELECT unit, {arm_sql} AS arm, NULL AS ro FROM assignment"
    elif staggered and not experiment.rollout.column:
        period = experiment.analysis.period
        of = lambda column: period_expression(time_kind, period, column)  # noqa: E731
        end = _sql(post.end)
        listed = (f"SELECT unit, CASE WHEN ro IS NULL OR ro > {end} THEN 'control' ELSE "
                  f"'treatment' END AS arm, CASE WHEN ro <= {end} THEN ro END AS ro FROM rollouts "
                  f"WHERE ro IS NULL OR ro > {end} OR {of('ro')} > {of(_sql(pre.start))}")
    if listed:
        con.execute(f"INSERT INTO panel_units SELECT * FROM ({listed}) WHERE unit IS NOT NULL "
                    "AND arm IS NOT NULL AND unit NOT IN (SELECT unit FROM panel_units)")


def _empty_units(experiment, units: list[str], totals: list[str]) -> list:
    if not units:
        return []
    rollout = experiment.rollout
    where = ("the data (their rows fall outside the compared windows)"
             if (experiment.groups.column or getattr(rollout, "column", None)) else
             "the rollout " + ("file" if rollout.file else "table") if experiment.staggered else
             "the groups " + ("file" if experiment.groups.file else "table"))
    return [Finding(
        "units_without_rows",
        f"{len(units)} unit(s) of {where} (e.g. '{units[0]}') have no rows in the compared "
        f"windows; in {', '.join(totals)} they count as zero throughout — if they were not "
        "active then, give their dates in data.roster",
        params={"units": len(units), "example": units[0]})]
