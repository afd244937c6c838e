"""Rollouts in waves: each unit's own rollout date (or period), from a data column or a file.

A unit's rollout is the first date (or period) it had the product; empty means never treated.
For integer periods a rollout of 0 also means never (R's `did` convention, so its datasets load
as they are). A wave is the units whose rollout falls in the same period of the panel: the
period that contains the rollout date counts as the first with the product (if the date falls
mid-period, that period's effect is diluted towards zero, never inflated).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from valueproof.data.columns import INTEGER_TYPES, time_expression
from valueproof.data.checks import repeated_units
from valueproof.data.sources import register_unit_table
from valueproof.data.sqltext import quote
from valueproof.errors import DataError


@dataclass(frozen=True)
class Wave:
    """One rollout wave: its first period with the product and its units."""

    start: dt.date | int  # first period with the product (start of the period)
    first_rollout: dt.date | int  # earliest rollout date of its units
    units: int


def time_kind_of(experiment, sql_type: str) -> str:
    """date | period: what the time column holds (a common rollout says it by its own type)."""
    if not experiment.staggered:
        return "date" if isinstance(experiment.rollout, dt.date) else "period"
    return "period" if sql_type in INTEGER_TYPES else "date"


def rollout_expression(con, experiment, columns: dict[str, str], time_kind: str,
                       label: str) -> tuple[str, str, list]:
    """SQL for each row's rollout (DATE or BIGINT, NULL: never), the JOIN it needs, and the
    findings of the rollout file (lines repeated as they are)."""
    sample = dt.date(2000, 1, 1) if time_kind == "date" else 0
    waves = experiment.rollout
    if waves.column:
        expr = time_expression(con, waves.column, columns[waves.column], sample,
                               f"{label} (rollout.column)", experiment.data.date_format)
        join, findings = "", []
    else:
        expr, findings = _register_file(con, experiment, time_kind)
        join = (f"LEFT JOIN rollouts ON rollouts.unit = "
                f"CAST(raw.{quote(experiment.data.unit)} AS VARCHAR)")
    if time_kind == "period":
        expr = f"nullif({expr}, 0)"
    return expr, join, findings


def _register_file(con, experiment, time_kind: str) -> tuple[str, list]:
    path = register_unit_table(con, experiment, "rollout", "rollout", "rollouts_raw")
    described = con.execute("DESCRIBE rollouts_raw").fetchall()
    names = [r[0] for r in described]
    if len(names) < 2:
        raise DataError(f"{path}: needs two columns, unit and rollout (with a header row)")
    cast = "DATE" if time_kind == "date" else "BIGINT"
    value = f"nullif(trim(CAST({quote(names[1])} AS VARCHAR)), '')"
    if time_kind == "date" and (described[1][1] == "DATE"
                                or described[1][1].startswith("TIMESTAMP")):
        value = quote(names[1])  # a database's date (a timestamp: its date in data.timezone)
    bad = con.execute(
        f"SELECT count(*), any_value({quote(names[1])}) FROM rollouts_raw "
        f"WHERE {value} IS NOT NULL AND TRY_CAST({value} AS {cast}) IS NULL").fetchone()
    if bad[0]:
        kind = "dates (YYYY-MM-DD)" if time_kind == "date" else "integer periods like the data's"
        raise DataError(f"{path}: {bad[0]} rollout value(s) are not {kind} (e.g. '{bad[1]}'); "
                        "write each unit's first date with the product, or leave it empty for "
                        "units never treated")
    con.execute(f"CREATE TEMP TABLE rollouts AS SELECT CAST({quote(names[0])} AS VARCHAR) AS unit, "
                f"TRY_CAST({value} AS {cast}) AS ro FROM rollouts_raw")
    # one rollout per unit: its first date with the product, or empty (never)
    findings = repeated_units(con, "rollouts", "ro", "rollout", path,
                              " (its first date with the product, or empty: never)")
    matched = con.execute(
        f"SELECT count(DISTINCT CAST({quote(experiment.data.unit)} AS VARCHAR)) FILTER "
        f"(WHERE CAST({quote(experiment.data.unit)} AS VARCHAR) IN (SELECT unit FROM rollouts)) "
        "FROM raw").fetchone()[0]
    if matched == 0:
        raise DataError(f"{path}: none of the data's units (column '{experiment.data.unit}') "
                        "appear in the rollout file; its first column must name the same units")
    return "rollouts.ro", findings


def check_constant(con, experiment, label: str) -> None:
    """A unit's rollout must be the same on all its rows."""
    row = con.execute(
        "SELECT unit, list(DISTINCT coalesce(CAST(ro AS VARCHAR), '(empty)'))[:3] FROM obs "
        "WHERE unit IS NOT NULL GROUP BY unit "
        "HAVING count(DISTINCT ro) > 1 OR (count(ro) > 0 AND count(ro) < count(*)) "
        "ORDER BY unit LIMIT 1").fetchone()
    if row:
        where = (f"column '{experiment.rollout.column}'" if experiment.rollout.column
                 else "the rollout file")
        raise DataError(
            f"{label}: unit '{row[0]}' has different rollouts in {where} ({', '.join(row[1])}); "
            "a unit's rollout is its first date with the product, the same on all its rows")


def waves_of(con, period_of_rollout: str, window_expr: str) -> list[Wave]:
    """The waves of the units with rows in the window, in rollout order; `period_of_rollout` is
    SQL for the start of the period containing `ro`."""
    rows = con.execute(
        f"SELECT {period_of_rollout} AS start, min(ro), count(*) FROM "
        "(SELECT unit, any_value(ro) AS ro FROM obs WHERE unit IS NOT NULL AND t IS NOT NULL "
        f"AND arm = 'treatment' AND ({window_expr}) IS NOT NULL GROUP BY unit) "
        "GROUP BY start ORDER BY start").fetchall()
    return [Wave(*row) for row in rows]
