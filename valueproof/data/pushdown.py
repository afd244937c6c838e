"""The unit × period aggregation, sent to the database (push-down).

A database source does not send its rows: the backend groups them by unit, group (or rollout)
value, period and side of every known window edge, and sends one row per such cell with what
the data stage needs of it:

* the cell's first and last day (the time column itself, and `__t_end`), so the window checks,
  the windows drawn from the data and the partial periods at their edges work as on rows;
* `__n`, its number of rows;
* per KPI `i`: `__s{i}` (sum of its values, or of a rate's numerators), `__d{i}` (a rate's
  denominators) and `__c{i}` (usable observations), counted as a row-level KPI counts them (a
  rate only where both parts are present);
* per KPI column `j` (the `k{j}` aliases of the data stage): `__lo{j}` and `__hi{j}` (smallest
  and largest value), `__neg{j}` (negative values) and `__bad{j}` (infinite or absurd ones),
  for the checks of `checks.py`.

One expression (ibis) is written for every backend: ibis gets each dialect's details right
(Monday weeks, casts, integer division). A timestamp falls on its date in the session's time
zone, which the source pins to `data.timezone` (PostgreSQL and Spark). A cell never straddles a
window edge that is known before the data are read (the rollout, pre/post and window bounds
written in the definition); edges drawn from the data (the default windows) fall on whole
periods, and when one does not, `load` asks again with that edge cut (`Recut`).

Columns whose types the backend cannot sum (a KPI held as text, a time held as neither a date,
a timestamp, an integer nor text) keep the row path: `expression` returns None and the needed
columns' rows are read, as for a file. Rows read on this machine (files, DuckDB databases, the
row path) are aggregated to the same cells by DuckDB (`local_cells`), so the rest of the data
stage has one input. The duplicate-row checks need every column, so a database runs them too
(`row_checks`), as one more aggregate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from valueproof.data.checks import ABSURD
from valueproof.data.sqltext import quote

TRUNCATE = {"week": "W", "month": "M", "quarter": "Q"}


@dataclass(frozen=True)
class Plan:
    """What the backend aggregates: key columns, period, window edges and KPIs."""

    unit: str
    time: str
    group: str | None
    rollout: str | None
    period: str  # day | week | month | quarter
    duplicates: bool  # run the duplicate-row checks
    cuts: tuple  # dates (or integer periods) at which a new cell starts
    kpis: tuple  # (aggregate, column, numerator, denominator) per KPI, in order
    columns: tuple  # every KPI column, sorted: the data stage's k{j}


class Recut(Exception):
    """A window edge drawn from the data falls inside a pushed-down cell: aggregate again with
    these edges cut too."""

    def __init__(self, cuts: tuple):
        super().__init__(cuts)
        self.cuts = cuts


def known_cuts(experiment) -> tuple:
    """The window edges the definition writes: where a cell must start anew."""
    def after(point):
        return point + (dt.timedelta(days=1) if isinstance(point, dt.date) else 1)

    cuts = []
    if experiment.staggered:
        if experiment.window is not None:
            cuts += [experiment.window.start, after(experiment.window.end)]
    else:
        cuts.append(experiment.rollout)
        for window in (experiment.pre, experiment.post):
            if window is not None:
                cuts += [window.start, after(window.end)]
    return tuple(sorted(set(cuts)))


def plan_for(experiment, extra_cuts: tuple = ()) -> Plan:
    data, groups = experiment.data, experiment.groups
    rollout = experiment.rollout.column if experiment.staggered else None
    kpis = tuple((k.aggregate, k.column, k.numerator, k.denominator) for k in experiment.kpis)
    columns = tuple(sorted({c for k in experiment.kpis for c in k.columns}))
    cuts = tuple(sorted(set(known_cuts(experiment)) | set(extra_cuts)))
    return Plan(data.unit, data.time, groups.column, rollout, experiment.analysis.period,
                data.duplicates == "check", cuts, kpis, columns)


def _numeric(column):
    """A KPI column as float64 with NaN missing, or None when the backend holds it as
    something it cannot sum (text: the row path reads it as a file's column is read)."""
    import ibis

    kind = column.type()
    if kind.is_boolean():
        return ibis.cases((column, 1.0), (~column, 0.0), else_=ibis.null("float64"))
    if not kind.is_numeric():
        return None
    value = column.cast("float64")
    if kind.is_floating() or kind.is_decimal():
        value = value.isnan().ifelse(ibis.null("float64"), value)
    return value


def expression(table, plan: Plan):
    """The backend's aggregate of `table` (an ibis table with the plan's columns), or None
    when the columns' types keep the row path."""
    import ibis

    time = table[plan.time]
    kind = time.type()
    if kind.is_timestamp():
        day = time.date()
    elif kind.is_date() or kind.is_integer() or kind.is_string():
        day = time
    else:
        return None
    values = {name: _numeric(table[name]) for name in plan.columns}
    if any(value is None for value in values.values()):
        return None

    keys = {plan.unit: table[plan.unit]}
    if plan.group:
        keys.setdefault(plan.group, table[plan.group])
    if plan.rollout:
        rollout = table[plan.rollout]
        keys.setdefault(plan.rollout, rollout.date() if rollout.type().is_timestamp() else rollout)
    dated = kind.is_timestamp() or kind.is_date()
    if dated and plan.period in TRUNCATE:
        keys["__period"] = day.truncate(TRUNCATE[plan.period])
    else:  # a day, an integer period or text (parsed after): the value is the cell
        keys["__period"] = day
    # a cell holding days of several sides of a window edge (a week the rollout splits) is
    # cut there; a day, an integer period or a text time is one point in time already
    cuts = [c for c in plan.cuts if isinstance(c, dt.date)] if dated and plan.period in TRUNCATE \
        else []
    if cuts:
        keys["__side"] = sum((day >= ibis.literal(c)).ifelse(1, 0) for c in cuts)

    usable_rows = table.count
    aggregates = {plan.time: day.min(), "__t_end": day.max(), "__n": usable_rows()}
    for i, (aggregate, column, numerator, denominator) in enumerate(plan.kpis):
        if aggregate == "rate":
            num = values[numerator]
            den = values[denominator] if denominator else None
            usable = num.notnull() if den is None else num.notnull() & den.notnull()
            aggregates[f"__s{i}"] = num.sum(where=usable)
            aggregates[f"__c{i}"] = usable_rows(where=usable)
            aggregates[f"__d{i}"] = (usable_rows(where=usable).cast("float64") if den is None
                                     else den.sum(where=usable))
        elif aggregate == "count":
            aggregates[f"__c{i}"] = values[column].count() if column else usable_rows()
        else:
            aggregates[f"__s{i}"] = values[column].sum()
            aggregates[f"__c{i}"] = values[column].count()
    for j, name in enumerate(plan.columns):
        value = values[name]
        aggregates[f"__lo{j}"] = value.min()
        aggregates[f"__hi{j}"] = value.max()
        aggregates[f"__neg{j}"] = usable_rows(where=value < 0)
        aggregates[f"__bad{j}"] = usable_rows(where=value.abs() > ABSURD)
    grouped = table.group_by(**keys).aggregate(**aggregates)
    return grouped.drop(*[k for k in ("__period", "__side") if k in keys])


def row_checks(table, plan: Plan):
    """The duplicate-row checks of the data stage as one aggregate the backend runs over every
    column of `table` (an ibis table: the data.table or data.query as written, not only the
    columns used): rows, distinct rows, distinct keys (every column but the KPI columns), keys
    whose rows differ in their KPI values, and one such key's unit. Columns a database cannot
    group by (JSON, arrays, structs, binary, geometry) are left out of the comparison."""
    def comparable(kind) -> bool:
        return (kind.is_numeric() or kind.is_string() or kind.is_boolean() or kind.is_temporal()
                or kind.is_uuid() or kind.is_null())

    schema = table.schema()
    columns = [c for c in table.columns if comparable(schema[c]) or c in plan.columns
               or c == plan.unit]
    table = table.select(*columns)
    keys = [c for c in columns if c not in plan.columns]
    whole = table.group_by(columns).aggregate(__copies=table.count())
    per_key = whole.group_by(keys).aggregate(__rows=whole["__copies"].sum(),
                                             __variants=whole.count())
    differ = per_key["__variants"] > 1
    return per_key.aggregate(
        rows=per_key["__rows"].sum(), distinct=per_key["__variants"].sum(),
        keys=per_key.count(), conflicts=per_key.count(where=differ),
        example=per_key[plan.unit].cast("string").min(where=differ))


def row_checks_sql(relation: str, columns: list[str], plan: Plan) -> str:
    """`row_checks` in DuckDB's SQL, over `relation` (a DuckDB database's table or query)."""
    keys = ", ".join(quote(c) for c in columns if c not in plan.columns)
    return (f"SELECT sum(r) AS rows, sum(v) AS distinct, count(*) AS keys, "
            f"count(*) FILTER (WHERE v > 1) AS conflicts, "
            f"min(CAST({quote(plan.unit)} AS VARCHAR)) FILTER (WHERE v > 1) AS example "
            f"FROM (SELECT {keys}, sum(c) AS r, count(*) AS v FROM "
            f"(SELECT *, count(*) AS c FROM ({relation.strip().rstrip(';')}\n) GROUP BY ALL) "
            f"GROUP BY {keys})")


def local_cells(plan: Plan, aliases: list[str], time_kind: str, rollout: bool
                ) -> tuple[list[str], list[str]]:
    """DuckDB's twin of `expression`, for rows read locally (files, or a database's rows on
    the row path): the aggregates and the GROUP BY keys over a relation of rows with `unit`,
    `rt` (the time, parsed), `grp`, `ro` (with `rollout`) and the KPI columns as numbers
    `k{j}` (`aliases`). Its cells have the layout the data stage reads (`n`, `s{i}`, `d{i}`,
    `c{i}`); `cells` adds the count of rows the value checks would report
    (`checks.flagged_rows`)."""
    from valueproof.data.panel import period_expression

    aggregates = ["min(rt) AS t", "max(rt) AS t_end", "count(*) AS n"]
    position = {name: alias for name, alias in zip(plan.columns, aliases)}
    for i, (aggregate, column, numerator, denominator) in enumerate(plan.kpis):
        if aggregate == "rate" and not denominator:  # a share of rows: sum and count skip NULL
            num = position[numerator]
            aggregates += [f"sum({num}) AS s{i}", f"CAST(count({num}) AS DOUBLE) AS d{i}",
                           f"count({num}) AS c{i}"]
        elif aggregate == "rate":
            num, den = position[numerator], position[denominator]
            usable = f"{num} IS NOT NULL AND {den} IS NOT NULL"
            aggregates += [f"sum({num}) FILTER (WHERE {usable}) AS s{i}",
                           f"sum({den}) FILTER (WHERE {usable}) AS d{i}",
                           f"count(*) FILTER (WHERE {usable}) AS c{i}"]
        elif aggregate == "count":
            aggregates.append(f"count({position[column]}) AS c{i}" if column
                              else f"count(*) AS c{i}")
        else:
            aggregates += [f"sum({position[column]}) AS s{i}", f"count({position[column]}) AS c{i}"]
    keys = ["unit", "grp", *(["ro"] if rollout else []),
            period_expression(time_kind, plan.period, "rt")]
    if time_kind == "date" and plan.period in TRUNCATE:
        keys += [f"(rt >= DATE '{cut.isoformat()}')" for cut in plan.cuts
                 if isinstance(cut, dt.date)]
    return aggregates, keys


def kpi_sql(kpi_index: int, aggregate: str, each_cell: bool = False) -> tuple[str, str, str]:
    """SQL for (value, count, weight) of KPI `kpi_index` in a panel cell, summed over the
    cells in it: a rate and a mean are ratios of sums, as over the rows themselves. With
    `each_cell`, of one cell (the cells are already one per panel cell: no GROUP BY)."""
    s, d, c = f"s{kpi_index}", f"d{kpi_index}", f"c{kpi_index}"
    if not each_cell:
        s, d, c = f"sum({s})", f"sum({d})", f"sum({c})"
    count = f"CAST(coalesce({c}, 0) AS BIGINT)"
    if aggregate == "rate":
        return f"{s} / NULLIF({d}, 0)", count, f"coalesce({d}, 0)"
    if aggregate == "count":
        return f"CAST({count} AS DOUBLE)", count, count
    if aggregate == "mean":
        return f"{s} / NULLIF({c}, 0)", count, count
    return s, count, count
