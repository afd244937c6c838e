"""The findings and errors on the cells' rows and units: duplicates, rows without a unit or a
time, group values that do not occur, units in neither or both groups, the design the units
allow and their numbers, and KPI values missing in the windows."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from valueproof.config.schema import Experiment
from valueproof.data import checks
from valueproof.data.backends.base import Source
from valueproof.data.findings import Finding
from valueproof.data.sqltext import quote
from valueproof.data.thresholds import FEW_UNITS
from valueproof.data.windows import ROWS
from valueproof.errors import DataError


def duplicate_findings(con, experiment: Experiment, source: Source, rows_read: int,
                       columns: dict[str, str], kpi_columns: list[str]) -> list[Finding]:
    """Rows that duplicate another, and sets of rows that differ only in their KPI values
    (none looked for with `data.duplicates: skip`)."""
    data = experiment.data
    key_columns = [c for c in columns if c not in kpi_columns]
    conflict, duplicates = None, 0
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
    findings = []
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
    return findings


def _duplicate_rows(con, rows_read: int, key_columns: list[str]) -> tuple[int, int]:
    """Rows identical to an earlier row, and rows whose non-KPI columns repeat an earlier row's
    (screened by hash; an upper bound for `checks.conflicting_rows`). One scan gives each row a
    64-bit hash of the whole row and one of its non-KPI columns; sorting the two arrays counts
    the distinct values (at 10M rows numpy sorts each in about 0.1 s, where DuckDB's two
    `count(DISTINCT ...)` took about 4.7 s of CPU and twice the memory). Only when the row
    hashes repeat does the exact (and slower) DISTINCT count run. (A GROUP BY of the keys' hash
    alone was tried: faster on data with a row ID, much slower on data without one.)"""
    keys = ", ".join(quote(c) for c in key_columns)
    hashes = con.execute(f"SELECT hash(r) AS whole, hash({keys}) AS keys FROM raw r").fetchnumpy()
    with ThreadPoolExecutor(2) as pool:  # numpy sorts without the GIL: both at once
        whole, keyed = pool.map(_distinct_count, (hashes["whole"], hashes["keys"]))
    candidates, repeated_keys = rows_read - whole, rows_read - keyed
    if candidates == 0:
        return 0, repeated_keys
    exact = rows_read - con.execute("SELECT count(*) FROM (SELECT DISTINCT * FROM raw)").fetchone()[0]
    return exact, repeated_keys


def _distinct_count(values) -> int:
    """The number of distinct values of a numpy array, which it sorts in place."""
    import numpy as np

    values.sort()
    return int(np.count_nonzero(values[1:] != values[:-1])) + (len(values) > 0)


def missing_key_findings(con, experiment: Experiment) -> list[Finding]:
    """Rows without a unit or a time: not used."""
    data = experiment.data
    missing_unit, missing_time = con.execute(
        "SELECT coalesce(sum(n) FILTER (WHERE unit IS NULL), 0), "
        "coalesce(sum(n) FILTER (WHERE t IS NULL), 0) FROM obs"
    ).fetchone()
    return [Finding("missing_keys", f"{count} row(s) have no '{column}' and are not used",
                    params={"rows": count, "column": column})
            for count, column in ((missing_unit, data.unit), (missing_time, data.time)) if count]


def check_group_values(con, experiment: Experiment, control: list[str]) -> None:
    """DataError for a group value of the definition that does not occur in the data, with
    the values present and the likely spelling."""
    groups = experiment.groups
    present = {row[0] for row in con.execute("SELECT DISTINCT grp FROM obs").fetchall()}
    where = (f"column '{groups.column}'" if groups.column else f"file {groups.file}"
             if groups.file else "the groups table")
    for key, values in () if experiment.staggered else (
            ("groups.treatment", groups.treatment or []), ("groups.control", control)):
        absent = [v for v in values if v not in present]
        if absent:
            shown = ", ".join(sorted(str(v) for v in present if v is not None)[:10])
            raise DataError(
                f"{key}: value(s) {', '.join(repr(a) for a in absent)} do not occur in {where}; "
                f"values present: {shown}{checks.near_group_value(absent[0], present)}"
            )


def group_findings(con, staggered: bool) -> list[Finding]:
    """Units in neither group (or not in the rollout file), and units in both groups, which
    are dropped from `obs`."""
    findings = []
    neither = con.execute(
        f"SELECT {ROWS}, count(DISTINCT unit), list(DISTINCT coalesce(grp, '(empty)'))[:5] "
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
    return findings


def unit_design(con, experiment: Experiment, arms: list[str], label: str
                ) -> tuple[dict[str, int], str, list[Finding]]:
    """The units of each group in the windows (the table `units`), the design they allow
    (panel, cross_section or staggered), and the findings on their numbers."""
    con.execute("CREATE TEMP TABLE units AS SELECT unit, any_value(arm) AS arm, "
                "count(DISTINCT win) = 2 AS both_sides FROM used GROUP BY unit")
    unit_counts = dict(con.execute("SELECT arm, count(*) FROM units GROUP BY arm").fetchall())
    has_control = "control" in arms or experiment.comparison is not None  # donor accounts
    findings = checks.single_unit_groups(unit_counts, has_control)
    one_side = con.execute("SELECT count_if(NOT both_sides) FROM units").fetchone()[0]
    both = sum(unit_counts.values()) - one_side
    design = "panel" if both >= 0.5 * sum(unit_counts.values()) else "cross_section"
    if experiment.staggered:
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
    for arm in arms if experiment.comparison is None else []:  # with donors: one account
        if unit_counts.get(arm, 0) < FEW_UNITS:
            findings.append(Finding(
                "few_units",
                f"the {arm} group has only {unit_counts.get(arm, 0)} unit(s); estimates with "
                f"fewer than {FEW_UNITS} units per group are fragile",
                params={"group": arm, "units": unit_counts.get(arm, 0)},
            ))
    if not has_control:
        findings.append(Finding(
            "no_control_group",
            "no control group: results are a before/after comparison of the treated units, "
            "which cannot separate the product's effect from seasonality or other changes",
        ))
    return unit_counts, design, findings


def _check_comparison(experiment: Experiment, unit_counts: dict[str, int], label: str) -> None:
    if unit_counts.get("control", 0) == 0 and experiment.analysis.comparison == "never_treated":
        raise DataError(
            f"{label}: every unit gets the product at some point, so there is no never-treated "
            "unit to compare with; set analysis.comparison: not_yet_treated to compare each "
            "wave with the units not yet treated at the time")


def missing_values(con, experiment: Experiment, kpi_sql: list[tuple[str, str, str]],
                   label: str) -> tuple[int, dict[str, tuple[int, int]], list[Finding]]:
    """The rows in the windows, each KPI's (missing, rows) there, and the findings on them;
    DataError for a KPI with no usable value at all."""
    rows_used = con.execute(f"SELECT {ROWS} FROM used").fetchone()[0]
    counted = con.execute(f"SELECT {', '.join(sql[1] for sql in kpi_sql)} FROM used").fetchone()
    missing, findings = {}, []
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
    return rows_used, missing, findings
