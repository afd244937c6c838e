"""Read observations, check them, and aggregate them to the unit x period panel.

All heavy lifting is SQL: the raw rows never become Python objects. A database aggregates its
rows to cells itself (`pushdown`); rows read here (a file, a database's rows on the row path)
are checked and aggregated to the same cells by an in-memory DuckDB. Everything after reads the
cells. Problems that make the data unusable raise `DataError`; problems that only weaken it
become `Finding`s that validate, analyze and the report all show.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from valueproof.config.schema import Experiment
from valueproof.data import checks, grid, pushdown, waves as rollout_waves
from valueproof.data.columns import numeric_expression, time_expression
from valueproof.data.findings import Finding
from valueproof.data.panel import Panel, aggregate_panel, align_to_period
from valueproof.data.session import open_session
from valueproof.data.sources import (data_fingerprint, needed_columns, register_unit_table,
                                     source_for)
from valueproof.data.sqltext import in_list, quote, sql_time
from valueproof.data.thresholds import FEW_UNITS
from valueproof.errors import DataError


@dataclass(frozen=True)
class Window:
    start: dt.date | int
    end: dt.date | int


@dataclass(frozen=True)
class CellSummary:
    """Units and observations of one group in one window."""

    arm: str  # treatment | control
    window: str  # pre | post
    units: int
    observations: int
    first: dt.date | int | None
    last: dt.date | int | None


@dataclass(frozen=True)
class Dataset:
    source: str
    fingerprint: str
    time_kind: str  # date | period
    rollout: dt.date | int
    pre: Window
    post: Window
    design: str  # panel | cross_section
    rows_read: int
    rows_used: int
    cells: list[CellSummary]
    missing: dict[str, tuple[int, int]]  # kpi -> (missing, rows)
    unit_counts: dict[str, int]  # arm -> distinct units over both windows
    findings: list[Finding] = field(default_factory=list)
    panel: Panel | None = None
    waves: list = field(default_factory=list)  # rollout in waves: `waves.Wave`s in order
    grid: object | None = None  # `grid.GridSummary`: which cells counts and sums are read on


def _describe_columns(con) -> dict[str, str]:
    return {row[0]: row[1] for row in con.execute("DESCRIBE raw").fetchall()}


def _shift(point, amount: int):
    return point + dt.timedelta(days=amount) if isinstance(point, dt.date) else point + amount


def _span(window_start, window_end) -> int:
    if isinstance(window_start, dt.date):
        return (window_end - window_start).days
    return window_end - window_start


def _resolve_windows(experiment: Experiment, first, last, label: str) -> tuple[Window, Window]:
    rollout = experiment.rollout
    if experiment.post:
        post = Window(experiment.post.start, experiment.post.end)
    else:
        if last < rollout:
            raise DataError(
                f"{label}: the data end {last}, before the rollout {rollout}; "
                "there is no post-rollout data to compare"
            )
        post = Window(rollout, last)
    if experiment.pre:
        pre = Window(experiment.pre.start, experiment.pre.end)
    else:
        end = _shift(rollout, -1)
        if first > end:  # no data before the rollout: the pre window would end before it starts
            raise DataError(
                f"{label}: the data begin {first}, on or after the rollout {rollout}, so there "
                "is nothing before the rollout to compare with; add data from before the "
                "rollout, or check 'rollout' (and data.time) in the definition"
            )
        start = max(first, _shift(end, -_span(post.start, post.end)))
        if isinstance(start, dt.date):  # start on a whole period, so none is cut short
            aligned = align_to_period(start, experiment.analysis.period)
            start = aligned if aligned <= end else start
        pre = Window(start, end)
    return pre, post


def load_dataset(experiment: Experiment, build_panel: bool = True) -> Dataset:
    """Load the experiment's observations, check them, and (optionally) build the panel."""
    try:
        return _load_from(experiment, build_panel)
    except pushdown.Recut as recut:  # a window edge drawn from the data splits a cell
        try:
            return _load_from(experiment, build_panel, recut.cuts)
        except pushdown.Recut:
            raise DataError(f"{source_for(experiment).label}: cells still straddle a window "
                            "edge after it was cut; report this as a bug") from None


def _load_from(experiment: Experiment, build_panel: bool, cuts: tuple = ()) -> Dataset:
    import duckdb

    plan = pushdown.plan_for(experiment, cuts)
    source = source_for(experiment, plan)
    label = source.label
    con = open_session(experiment.data.timezone)
    try:
        source.register(con)
        return _load(con, experiment, label, build_panel, source, plan)
    except duckdb.Error as exc:  # anything the checks above did not foresee
        first = str(exc).strip().splitlines()[0]
        raise DataError(source.explain(exc)
                        or f"{label}: could not be processed ({first})") from None
    finally:
        con.close()


def _load(con, experiment: Experiment, label: str, build_panel: bool, source,
          plan: pushdown.Plan) -> Dataset:
    data, groups = experiment.data, experiment.groups
    staggered = experiment.staggered
    columns = _describe_columns(con)
    # a database that aggregated its rows (`pushdown`) sent cells, not rows
    pushed = source.aggregated
    needed = needed_columns(experiment)
    if not pushed:  # (the database checked its columns before it aggregated them)
        source.require_columns(columns, needed)
    if source.is_workbook:
        _require_values(con, list(needed), label, source)

    rows_read = con.execute(
        f"SELECT {'coalesce(sum(__n), 0)' if pushed else 'count(*)'} FROM raw").fetchone()[0]
    if rows_read == 0:
        raise DataError(f"{label}: the data has a header but no rows; export the observations again")

    time_kind = rollout_waves.time_kind_of(experiment, columns[data.time])
    kind_of = (experiment.rollout if not staggered
               else dt.date(2000, 1, 1) if time_kind == "date" else 0)
    time_expr = time_expression(con, data.time, columns[data.time], kind_of, label,
                                 data.date_format)
    kpi_columns = sorted({c for k in experiment.kpis for c in k.columns})
    aliases = {c: f"k{i}" for i, c in enumerate(kpi_columns)}
    # Every count and value below is read from cells: one row per unit, group (or rollout),
    # period and side of each window edge, with its rows `n`, the KPIs' sums and counts and
    # the KPI columns' extremes (`pushdown`). A database that aggregated its rows sent them;
    # rows read here (a file, a database's rows) are aggregated to them in DuckDB.
    rows = "coalesce(sum(n), 0)"
    if pushed:
        # the cell's last day, converted as its first (the time column) is
        end_expr = time_expr.replace(quote(data.time), quote("__t_end"))
        cell_columns = ", ".join(
            [f"{end_expr} AS t_end", "__n AS n"]
            + [f"{quote(f'__{part}{i}')} AS {part}{i}" for i, kpi in enumerate(experiment.kpis)
               for part in ("s", "d", "c") if f"__{part}{i}" in columns]
            + [f"{quote(f'__{part}{j}')} AS {alias}_{part}" for j, alias in
               enumerate(aliases.values()) for part in ("lo", "hi", "neg", "bad")])
    else:
        exprs = {c: numeric_expression(con, c, columns[c], label, data.decimal)
                 for c in kpi_columns}
        row_columns = ", ".join(f"{exprs[c]} AS {aliases[c]}" for c in kpi_columns)
    treatment, control = groups.treatment or [], groups.control or []
    rollout_sql, unit_findings = "", []
    if staggered:  # the rollout says who got the product: never treated are the comparison
        ro_expr, join, unit_findings = rollout_waves.rollout_expression(
            con, experiment, columns, time_kind, label)
        rollout_sql = f", {ro_expr} AS ro"
        group_expr = "'listed'" if experiment.rollout.column else \
            "CASE WHEN rollouts.unit IS NOT NULL THEN 'listed' END"
        arm_expr = ("CASE WHEN grp IS NULL THEN NULL WHEN ro IS NOT NULL THEN 'treatment' "
                    "ELSE 'control' END")
        control = ["never"]
    else:
        if groups.column:
            group_expr, join = f"CAST({quote(groups.column)} AS VARCHAR)", ""
        else:
            unit_findings = _register_assignment(con, experiment)
            checks.check_unit_ids(con, data.unit, groups.file or "the groups table", label)
            group_expr = "assignment.grp"
            join = f"LEFT JOIN assignment ON assignment.unit = CAST(raw.{quote(data.unit)} AS VARCHAR)"
        arm_expr = (f"CASE WHEN grp IN ({in_list(treatment)}) THEN 'treatment' "
                    + (f"WHEN grp IN ({in_list(control)}) THEN 'control' " if control else "")
                    + "END")
    unit_sql = f"CAST(raw.{quote(data.unit)} AS VARCHAR) AS unit"
    if pushed:
        cells_sql = (f"SELECT {unit_sql}, {time_expr} AS t, {group_expr} AS grp{rollout_sql}, "
                     f"{cell_columns} FROM raw {join}")
    else:  # the rows, checked here (the values' extremes), then aggregated to cells
        con.execute(f"CREATE TEMP VIEW obs_rows AS SELECT {unit_sql}, {time_expr} AS t, "
                    f"{group_expr} AS grp{rollout_sql}"
                    f"{', ' + row_columns if row_columns else ''} FROM raw {join}")
        aggregates, keys = pushdown.local_cells(plan, list(aliases.values()), time_kind,
                                                staggered)
        cells_sql = (f"SELECT unit, grp{', ro' if staggered else ''}, {', '.join(aggregates)} "
                     f"FROM (SELECT * RENAME (t AS rt) FROM obs_rows) GROUP BY {', '.join(keys)}")
    # The one materialised table of cells; everything after reads it (or views over it).
    con.execute(f"CREATE TEMP TABLE obs AS SELECT *, {arm_expr} AS arm FROM ({cells_sql})")
    findings: list[Finding] = unit_findings + _value_findings(con, experiment, aliases, label,
                                                              pushed)
    if staggered:
        rollout_waves.check_constant(con, experiment, label)

    key_columns = [c for c in columns if c not in kpi_columns]
    conflict, duplicates, repeated_keys = None, 0, 0  # (none looked for with skip)
    checked = data.duplicates == "check"
    if checked and source.projected:  # a database sent only the columns
        # used (or cells), so rows that differ in a row ID would look the same: it checked
        # every column itself
        found = source.row_checks or {}
        duplicates = int(found.get("rows") or 0) - int(found.get("distinct") or 0)
        repeated_keys = int(found.get("rows") or 0) - int(found.get("keys") or 0)
        if found.get("conflicts") and 0 < repeated_keys <= checks.CONFLICT_SHARE * rows_read:
            conflict = (int(found["conflicts"]), f"unit {found['example']}")
    elif checked:
        duplicates, repeated_keys = _duplicate_rows(con, rows_read, key_columns)
        conflict = checks.conflicting_rows(con, key_columns, kpi_columns, rows_read,
                                           repeated_keys, data.unit, data.time)
    if duplicates:
        findings.append(Finding(
            "duplicate_rows",
            f"{duplicates} row(s) are exact duplicates of another row; they are kept — "
            "remove them at the source if they are double exports",
            params={"rows": duplicates},
        ))
    if conflict:
        findings.append(Finding(
            "conflicting_rows",
            f"{conflict[0]} set(s) of rows agree on every column but the KPI values, which differ "
            f"({conflict[1]}); the same observation may have been exported twice with different "
            "numbers — all are kept, check which is right",
            params={"sets": conflict[0], "example": conflict[1]},
        ))
    missing_unit, missing_time = con.execute(
        "SELECT coalesce(sum(n) FILTER (WHERE unit IS NULL), 0), "
        "coalesce(sum(n) FILTER (WHERE t IS NULL), 0) FROM obs"
    ).fetchone()
    for count, column in ((missing_unit, data.unit), (missing_time, data.time)):
        if count:
            findings.append(Finding("missing_keys",
                                    f"{count} row(s) have no '{column}' and are not used",
                                    params={"rows": count, "column": column}))

    present = {row[0] for row in con.execute("SELECT DISTINCT grp FROM obs").fetchall()}
    where = (f"column '{groups.column}'" if groups.column else f"file {groups.file}"
             if groups.file else "the groups table")
    for key, values in () if staggered else (("groups.treatment", treatment),
                                             ("groups.control", control)):
        absent = [v for v in values if v not in present]
        if absent:
            shown = ", ".join(sorted(str(v) for v in present if v is not None)[:10])
            raise DataError(
                f"{key}: value(s) {', '.join(repr(a) for a in absent)} do not occur in {where}; "
                f"values present: {shown}{checks.near_group_value(absent[0], present)}"
            )

    con.execute("CREATE TEMP VIEW tagged AS SELECT * FROM obs WHERE unit IS NOT NULL AND t IS NOT NULL")

    neither = con.execute(
        f"SELECT {rows}, count(DISTINCT unit), list(DISTINCT coalesce(grp, '(empty)'))[:5] "
        "FROM tagged WHERE arm IS NULL"
    ).fetchone()
    if neither[0] and staggered:
        findings.append(Finding(
            "units_without_rollout",
            f"{neither[1]} unit(s) ({neither[0]} rows) are not in the rollout file and are not "
            "used; list them (with an empty rollout if they never got the product)",
            params={"units": neither[1], "rows": neither[0]},
        ))
    elif neither[0]:
        findings.append(Finding(
            "units_in_neither_group",
            f"{neither[1]} unit(s) ({neither[0]} rows) are in neither group "
            f"(group values {', '.join(map(str, neither[2]))}) and are not used",
            params={"units": neither[1], "rows": neither[0],
                    "values": ", ".join(map(str, neither[2]))},
        ))
    switching = [r[0] for r in con.execute(
        "SELECT unit FROM tagged WHERE arm IS NOT NULL GROUP BY unit "
        "HAVING count(DISTINCT arm) > 1 ORDER BY unit"
    ).fetchall()]
    if switching:
        findings.append(Finding(
            "units_switching_group",
            f"{len(switching)} unit(s) appear in both treatment and control "
            f"({', '.join(switching[:5])}{', ...' if len(switching) > 5 else ''}) and are not "
            "used; give each unit one group",
            params={"units": len(switching), "examples": ", ".join(switching[:5])},
        ))
        con.execute("DELETE FROM obs WHERE unit IN (SELECT unnest(?))", [switching])

    first, last = con.execute(
        "SELECT min(t), max(t_end) FROM tagged WHERE arm IS NOT NULL").fetchone()
    if first is None:
        raise DataError(f"{label}: no rows belong to the treatment or control group")
    waves = []
    if staggered:
        pre, post, window_expr, waves, wave_findings = _wave_windows(
            con, experiment, first, last, time_kind, label)
        findings += wave_findings
    else:
        pre, post = _resolve_windows(experiment, first, last, label)
        bounds = [sql_time(point) for point in (pre.start, pre.end, post.start, post.end)]
        window_expr = (f"CASE WHEN t BETWEEN {bounds[0]} AND {bounds[1]} THEN 'pre' "
                       f"WHEN t BETWEEN {bounds[2]} AND {bounds[3]} THEN 'post' END")
    _check_cells(con, plan, experiment, pre, post)
    con.execute(f"CREATE TEMP VIEW windowed AS SELECT *, {window_expr} AS win FROM tagged "
                "WHERE arm IS NOT NULL")
    con.execute("CREATE TEMP VIEW used AS SELECT * FROM windowed WHERE win IS NOT NULL")
    outside = con.execute(f"SELECT {rows} FROM windowed WHERE win IS NULL").fetchone()[0]
    if outside:
        findings.append(Finding(
            "rows_outside_windows",
            f"{outside} row(s) fall outside the pre ({pre.start} – {pre.end}) and post "
            f"({post.start} – {post.end}) windows and are not used",
            params={"rows": outside},
        ))

    cells = _cell_summaries(con)
    arms = ["treatment", "control"] if control else ["treatment"]
    for arm in [] if staggered else arms:
        for window, bounds in (("pre", pre), ("post", post)):
            if not any(c.arm == arm and c.window == window and c.observations for c in cells):
                raise DataError(
                    f"{label}: the {arm} group has no observations in the {window} window "
                    f"({bounds.start} – {bounds.end}); the data cover {first} – {last}. "
                    f"Fix '{window}' or 'rollout' in the definition"
                )

    con.execute("CREATE TEMP TABLE units AS SELECT unit, any_value(arm) AS arm, "
                "count(DISTINCT win) = 2 AS both_sides FROM used GROUP BY unit")
    unit_counts = dict(con.execute("SELECT arm, count(*) FROM units GROUP BY arm").fetchall())
    findings += checks.single_unit_groups(unit_counts, bool(control))
    one_side = con.execute("SELECT count_if(NOT both_sides) FROM units").fetchone()[0]
    both = sum(unit_counts.values()) - one_side
    design = "panel" if both >= 0.5 * sum(unit_counts.values()) else "cross_section"
    if staggered:
        design, one_side = "staggered", 0
        _check_comparison(experiment, unit_counts, label)
    if one_side and design == "panel":
        findings.append(Finding(
            "units_one_side",
            f"{one_side} unit(s) are seen only before or only after the rollout; with unit fixed "
            "effects they carry no before/after change of their own (the results also show the "
            "estimate on the units seen on both sides)",
            params={"units": one_side},
        ))
    for arm in arms:
        if unit_counts.get(arm, 0) < FEW_UNITS:
            findings.append(Finding(
                "few_units",
                f"the {arm} group has only {unit_counts.get(arm, 0)} unit(s); estimates with "
                f"fewer than {FEW_UNITS} units per group are fragile",
                params={"group": arm, "units": unit_counts.get(arm, 0)},
            ))
    if not control:
        findings.append(Finding(
            "no_control_group",
            "no control group: results are a before/after comparison of the treated units, "
            "which cannot separate the product's effect from seasonality or other changes",
        ))

    rows_used = con.execute(f"SELECT {rows} FROM used").fetchone()[0]
    kpi_sql = [pushdown.kpi_sql(i, kpi.aggregate) for i, kpi in enumerate(experiment.kpis)]
    counted = con.execute(f"SELECT {', '.join(sql[1] for sql in kpi_sql)} FROM used").fetchone()
    missing = {}
    for kpi, usable in zip(experiment.kpis, counted):
        missing[kpi.id] = (rows_used - usable, rows_used)
        if usable == 0:
            raise DataError(
                f"{label}: KPI '{kpi.id}' has no usable values in the pre and post windows "
                f"(columns {', '.join(kpi.columns) or '(row count)'}); check the data"
            )
        if rows_used - usable:
            share = (rows_used - usable) / rows_used
            findings.append(Finding(
                "missing_values",
                f"KPI '{kpi.id}': {rows_used - usable} observation(s) ({share:.1%}) have no value "
                "and are left out of this KPI",
                kpi=kpi.id, params={"kpi": kpi.id, "rows": rows_used - usable, "share": share},
            ))

    # the units and the grid counts and sums are read on (a full grid, or the roster's dates)
    layout, grid_findings = grid.prepare(con, experiment, design, time_kind, arm_expr,
                                         (pre, post), (first, last))
    findings += grid_findings
    panel = aggregate_panel(con, experiment, kpi_sql, time_kind, layout) if build_panel else None
    dataset = Dataset(
        source=label, fingerprint=data_fingerprint(experiment), time_kind=time_kind,
        rollout=waves[0].start if staggered else experiment.rollout, pre=pre, post=post,
        design=design, rows_read=rows_read,
        rows_used=rows_used, cells=cells, missing=missing, unit_counts=unit_counts,
        findings=findings, panel=panel, waves=waves, grid=layout.summary,
    )
    return dataset


def _wave_windows(con, experiment: Experiment, first, last, time_kind: str, label: str):
    """A rollout in waves: the data used (`window`, default all), each row's side of its own
    unit's rollout, the waves, and the checks that each wave has a period before it."""
    from valueproof.data.panel import period_expression

    period = experiment.analysis.period
    start = experiment.window.start if experiment.window else first
    end = experiment.window.end if experiment.window else last
    if isinstance(start, dt.date) != (time_kind == "date"):
        raise DataError(f"{label}: 'window' must be written like the data's time column "
                        f"({'dates' if time_kind == 'date' else 'integer periods'})")
    period_of = lambda column: period_expression(time_kind, period, column)  # noqa: E731
    findings = []
    late = con.execute(f"SELECT count(DISTINCT unit) FROM obs WHERE ro > {sql_time(end)}").fetchone()[0]
    if late:
        con.execute(f"UPDATE obs SET ro = NULL, arm = 'control' WHERE ro > {sql_time(end)}")
        findings.append(Finding(
            "rollout_after_data",
            f"{late} unit(s) got the product after the data end ({end}); they count as not yet "
            "treated throughout", params={"units": late}))
    early = con.execute(
        f"SELECT count(DISTINCT unit), min(unit), min(ro) FROM obs WHERE ro IS NOT NULL AND "
        f"{period_of('ro')} <= {period_of(sql_time(start))}").fetchone()
    if early[0]:
        step = period if time_kind == "date" else "period"
        raise DataError(
            f"{label}: {early[0]} unit(s) (e.g. '{early[1]}', rollout {early[2]}) got the product "
            f"in the first {step} of the data ({start}) or before, so their wave has no period "
            "before the rollout to compare with; use data (or window.start) that begin at least "
            f"one {step} earlier, or leave those units out")
    bounds = f"{sql_time(start)} AND {sql_time(end)}"
    window_expr = (f"CASE WHEN t NOT BETWEEN {bounds} THEN NULL WHEN ro IS NOT NULL AND "
                   f"{period_of('t')} >= {period_of('ro')} THEN 'post' ELSE 'pre' END")
    waves = rollout_waves.waves_of(con, period_of("ro"), window_expr)
    if not waves:
        raise DataError(f"{label}: no unit has a rollout within the data ({start} – {end}); "
                        "check the rollout column or file")
    first_wave = waves[0].start
    pre = Window(start, _shift(first_wave, -1))
    post = Window(first_wave, end)
    return pre, post, window_expr, waves, findings


def _check_comparison(experiment: Experiment, unit_counts: dict[str, int], label: str) -> None:
    if unit_counts.get("control", 0) == 0 and experiment.analysis.comparison == "never_treated":
        raise DataError(
            f"{label}: every unit gets the product at some point, so there is no never-treated "
            "unit to compare with; set analysis.comparison: not_yet_treated to compare each "
            "wave with the units not yet treated at the time")


def _duplicate_rows(con, rows_read: int, key_columns: list[str]) -> tuple[int, int]:
    """Rows identical to an earlier row, and rows whose non-KPI columns repeat an earlier row's
    (screened by hash; an upper bound for `checks.conflicting_rows`). A 64-bit hash of each
    whole row screens cheaply; only when it finds candidates does the exact (and slower)
    DISTINCT count run. (A GROUP BY of the keys' hash alone was tried: faster on data with a
    row ID, much slower on data without one.)"""
    keys = ", ".join(quote(c) for c in key_columns)
    candidates, repeated_keys = con.execute(
        f"SELECT count(*) - count(DISTINCT hash(r)), count(*) - count(DISTINCT hash({keys})) "
        "FROM raw r").fetchone()
    if candidates == 0:
        return 0, repeated_keys
    exact = rows_read - con.execute("SELECT count(*) FROM (SELECT DISTINCT * FROM raw)").fetchone()[0]
    return exact, repeated_keys


def _require_values(con, columns: list[str], label: str, source) -> None:
    """A needed column with no value at all in a workbook is usually formulas never calculated."""
    counts = con.execute(
        f"SELECT {', '.join(f'count({quote(c)})' for c in columns)} FROM raw").fetchone()
    empty = [c for c, n in zip(columns, counts) if n == 0]
    hint = source.explain_empty(empty) if empty else None
    if hint:
        raise DataError(f"{label}: {hint}")


def _value_findings(con, experiment: Experiment, aliases: dict[str, str], label: str,
                    cells: bool) -> list[Finding]:
    """Infinite or absurd KPI values (an error), and negative values where values are summed
    (sum KPIs, rate parts): legal (refunds, corrections) but worth a look."""
    summed = {c: aliases[c] for k in experiment.kpis if k.aggregate in ("sum", "rate")
              for c in k.columns}
    findings = []
    negatives = checks.value_checks(con, aliases, summed, label,
                                    "obs" if cells else "obs_rows", cells)
    for column, (count, example) in negatives.items():
        findings.append(Finding(
            "negative_values",
            f"column '{column}' has {count} negative value(s) (e.g. unit '{example['u']}', "
            f"time {example['t']}: {example['v']:g}) in a KPI that adds values up; they are used "
            "as they are — check that they are corrections or refunds, not errors",
            params={"column": column, "rows": count},
        ))
    return findings


def _register_assignment(con, experiment: Experiment) -> list[Finding]:
    """The groups table (`assignment`: unit, grp) of groups.file or a database; a unit listed
    twice with one group is kept once (a finding), with two groups is an error."""
    path = register_unit_table(con, experiment, "groups", "group", "assignment_raw")
    names = [r[0] for r in con.execute("DESCRIBE assignment_raw").fetchall()]
    if len(names) < 2:
        raise DataError(f"{path}: needs two columns, unit and group (with a header row)")
    con.execute(
        f"CREATE TEMP TABLE assignment AS SELECT CAST({quote(names[0])} AS VARCHAR) AS unit, "
        f"CAST({quote(names[1])} AS VARCHAR) AS grp FROM assignment_raw"
    )
    return checks.repeated_units(con, "assignment", "grp", "group", path)


def _cell_summaries(con) -> list[CellSummary]:
    found = con.execute(
        "SELECT arm, win, count(DISTINCT unit), coalesce(sum(n), 0), min(t), max(t_end) FROM used "
        "GROUP BY arm, win ORDER BY arm DESC, win DESC"
    ).fetchall()
    return [CellSummary(*row) for row in found]


def _check_cells(con, plan, experiment: Experiment, pre: Window, post: Window) -> None:
    """Cells must each lie on one side of every window edge; an edge drawn from the data (not
    among the plan's cuts) that splits one asks for the data again, cut there too
    (`pushdown.Recut`)."""
    if experiment.staggered:
        start, end = (experiment.window.start, experiment.window.end) if experiment.window \
            else (pre.start, post.end)
        edges = [start, _shift(end, 1)]
    else:
        edges = [pre.start, _shift(pre.end, 1), post.start, _shift(post.end, 1)]
    edges = sorted({e for e in edges if e not in plan.cuts})
    if not edges:
        return
    split = con.execute(
        "SELECT count(*) FROM obs WHERE " + " OR ".join(
            f"(t < {sql_time(e)} AND t_end >= {sql_time(e)})" for e in edges)).fetchone()[0]
    if split:
        raise pushdown.Recut(tuple(edges))
