"""The one table of cells (`obs`) everything after reads, made from the source's `raw`.

A cell is one unit, group (or rollout), period and side of each window edge, with its rows
`n`, the KPIs' sums and counts and the KPI columns' extremes (`pushdown`). A database that
aggregated its rows sent them; rows read here (a file, a database's rows) are checked (the
values' extremes) and aggregated to them in DuckDB. Each cell also gets its arm: treatment,
control, or none (a unit in neither group, or not in the rollout file).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from valueproof.config.schema import Experiment
from valueproof.data import checks, pushdown, waves as rollout_waves
from valueproof.data.backends.base import Source
from valueproof.data.columns import numeric_expression, time_expression
from valueproof.data.findings import Finding
from valueproof.data.sources import needed_columns, register_unit_table
from valueproof.data.sqltext import in_list, quote
from valueproof.errors import DataError


#: The column of locally made cells counting their rows with a value `checks.value_checks`
#: reports (infinite or absurd, or negative where summed).
FLAGGED = "n_flagged"


@dataclass(frozen=True)
class Cells:
    """What the rest of the data stage needs to know of how `obs` was made."""

    arm_expr: str  # SQL of each cell's arm from its `grp` (and `ro`)
    control: list[str]  # the comparison's group values (["never"] for a rollout in waves)
    kpi_columns: list[str]  # every KPI column, sorted
    findings: list[Finding]


def read_columns(con, experiment: Experiment, source: Source) -> dict[str, str]:
    """The columns of `raw` (name -> type), checked to hold every column the definition
    names (a database that aggregated its rows checked them before)."""
    columns = {row[0]: row[1] for row in con.execute("DESCRIBE raw").fetchall()}
    needed = needed_columns(experiment)
    if not source.aggregated:
        source.require_columns(columns, needed)
    if source.is_workbook:
        _require_values(con, list(needed), source)
    return columns


def _require_values(con, columns: list[str], source: Source) -> None:
    """A needed column with no value at all in a workbook is usually formulas never calculated."""
    counts = con.execute(
        f"SELECT {', '.join(f'count({quote(c)})' for c in columns)} FROM raw").fetchone()
    empty = [c for c, n in zip(columns, counts) if n == 0]
    hint = source.explain_empty(empty) if empty else None
    if hint:
        raise DataError(f"{source.label}: {hint}")


def make_cells(con, experiment: Experiment, source: Source, plan: pushdown.Plan,
               columns: dict[str, str], time_kind: str) -> Cells:
    """The table `obs` of cells with their arm, and the findings on its values and units."""
    data, label, staggered = experiment.data, source.label, experiment.staggered
    pushed = source.aggregated
    kind_of = (experiment.rollout if not staggered
               else dt.date(2000, 1, 1) if time_kind == "date" else 0)
    time_expr = time_expression(con, data.time, columns[data.time], kind_of, label,
                                 data.date_format)
    kpi_columns = sorted({c for k in experiment.kpis for c in k.columns})
    aliases = {c: f"k{i}" for i, c in enumerate(kpi_columns)}
    summed = {c: aliases[c] for k in experiment.kpis if k.aggregate in ("sum", "rate")
              for c in k.columns}
    if pushed:
        values = _pushed_columns(experiment, columns, time_expr, aliases)
    else:
        exprs = {c: numeric_expression(con, c, columns[c], label, data.decimal)
                 for c in kpi_columns}
        values = ", ".join(f"{exprs[c]} AS {aliases[c]}" for c in kpi_columns)
    group_expr, rollout_sql, join, arm_expr, control, findings = _arms(
        con, experiment, columns, time_kind, label)
    keys = (f"CAST(raw.{quote(data.unit)} AS VARCHAR) AS unit, {time_expr} AS t, "
            f"{group_expr} AS grp{rollout_sql}")
    if pushed:
        cells_sql = f"SELECT {keys}, {values} FROM raw {join}"
    else:  # the rows, aggregated to cells that count the rows the value checks would report
        con.execute(f"CREATE TEMP VIEW obs_rows AS SELECT {keys}"
                    f"{', ' + values if values else ''} FROM raw {join}")
        aggregates, by = pushdown.local_cells(plan, list(aliases.values()), time_kind,
                                              staggered)
        flagged = checks.flagged_rows(list(aliases.values()), list(summed.values()))
        aggregates += [f"{flagged} AS {FLAGGED}"] if flagged else []
        cells_sql = (f"SELECT unit, grp{', ro' if staggered else ''}, {', '.join(aggregates)} "
                     f"FROM (SELECT * RENAME (t AS rt) FROM obs_rows) GROUP BY {', '.join(by)}")
    # The one materialised table of cells; everything after reads it (or views over it).
    con.execute(f"CREATE TEMP TABLE obs AS SELECT *, {arm_expr} AS arm FROM ({cells_sql})")
    findings = findings + _value_findings(con, aliases, summed, label, pushed)
    if staggered:
        rollout_waves.check_constant(con, experiment, label)
    return Cells(arm_expr, control, kpi_columns, findings)


def _pushed_columns(experiment: Experiment, columns: dict[str, str], time_expr: str,
                    aliases: dict[str, str]) -> str:
    """The columns of the cells a database sent, renamed as local cells name them."""
    # the cell's last day, converted as its first (the time column) is
    end_expr = time_expr.replace(quote(experiment.data.time), quote("__t_end"))
    return ", ".join(
        [f"{end_expr} AS t_end", "__n AS n"]
        + [f"{quote(f'__{part}{i}')} AS {part}{i}" for i, kpi in enumerate(experiment.kpis)
           for part in ("s", "d", "c") if f"__{part}{i}" in columns]
        + [f"{quote(f'__{part}{j}')} AS {alias}_{part}" for j, alias in
           enumerate(aliases.values()) for part in ("lo", "hi", "neg", "bad")])


def _arms(con, experiment: Experiment, columns: dict[str, str], time_kind: str, label: str):
    """(group SQL, rollout column SQL, JOIN, arm SQL, the comparison's values, findings of the
    unit tables): the groups (a column, a file or a table), or each unit's rollout."""
    data, groups = experiment.data, experiment.groups
    if experiment.staggered:  # the rollout says who got the product: never treated compare
        ro_expr, join, findings = rollout_waves.rollout_expression(
            con, experiment, columns, time_kind, label)
        group_expr = "'listed'" if experiment.rollout.column else \
            "CASE WHEN rollouts.unit IS NOT NULL THEN 'listed' END"
        arm_expr = ("CASE WHEN grp IS NULL THEN NULL WHEN ro IS NOT NULL THEN 'treatment' "
                    "ELSE 'control' END")
        return group_expr, f", {ro_expr} AS ro", join, arm_expr, ["never"], findings
    if groups.labels_only:  # `comparison` without groups: every row is the account's
        return "'account'", "", "", "'treatment'", [], []
    treatment, control = groups.treatment or [], groups.control or []
    findings = []
    if groups.column:
        group_expr, join = f"CAST({quote(groups.column)} AS VARCHAR)", ""
    else:
        findings = _register_assignment(con, experiment)
        checks.check_unit_ids(con, data.unit, groups.file or "the groups table", label)
        group_expr = "assignment.grp"
        join = f"LEFT JOIN assignment ON assignment.unit = CAST(raw.{quote(data.unit)} AS VARCHAR)"
    arm_expr = (f"CASE WHEN grp IN ({in_list(treatment)}) THEN 'treatment' "
                + (f"WHEN grp IN ({in_list(control)}) THEN 'control' " if control else "")
                + "END")
    return group_expr, "", join, arm_expr, control, findings


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


def _value_findings(con, aliases: dict[str, str], summed: dict[str, str], label: str,
                    cells: bool) -> list[Finding]:
    """Infinite or absurd KPI values (an error), and negative values where values are summed
    (sum KPIs, rate parts): legal (refunds, corrections) but worth a look. Rows read here are
    scanned again (for the counts and an example row) only when their cells flagged some."""
    if not cells and aliases and not con.execute(f"SELECT sum({FLAGGED}) FROM obs").fetchone()[0]:
        return []
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
