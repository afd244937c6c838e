"""Checks of values, groups and unit IDs as real exports get them wrong.

Each check is one SQL aggregate over the loaded rows (no per-row Python), and returns either a
`Finding` or a hint for an error message; `load` decides which. The hints name the likely cause
and the definition key that fixes it.
"""

from __future__ import annotations

import difflib

from valueproof.data.findings import Finding
from valueproof.data.sqltext import quote
from valueproof.errors import DataError

#: Larger magnitudes are export errors (overflowed formulas, IDs in a value column), not KPIs.
ABSURD = 1e15
#: Repeated keys above this share of rows are the data's shape (many tickets per agent and day),
#: not conflicting copies of one observation.
CONFLICT_SHARE = 0.10


def near_group_value(value: str, present: set) -> str:
    """A hint for a group value that does not occur: a value differing only in case or spaces,
    or a close spelling."""
    texts = sorted(str(p) for p in present if p is not None)
    same = [p for p in texts if p.strip().casefold() == value.strip().casefold()]
    if same:
        return (f"; did you mean '{same[0]}'? It differs only in upper/lower case or spaces; "
                "write the value exactly as in the data")
    close = difflib.get_close_matches(value, texts, n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def check_unit_ids(con, unit_column: str, group_file, label: str) -> None:
    """Unit IDs of the data and of the group file must be written alike: '01' is not '1', and
    '1.0' (a number column in Excel) is not '1'. Fails when some units match only once leading
    zeros, a trailing '.0' and case are ignored, or when no unit matches at all."""
    def normal(col: str) -> str:
        cleaned = f"ltrim(regexp_replace(lower(trim({col})), '\\.0+$', ''), '0')"
        return f"coalesce(nullif({cleaned}, ''), '0')"

    con.execute(
        f"CREATE TEMP TABLE data_units AS SELECT DISTINCT CAST({quote(unit_column)} AS VARCHAR) AS u "
        f"FROM raw WHERE {quote(unit_column)} IS NOT NULL")
    units, exact, loose = con.execute(
        "SELECT count(*), count_if(u IN (SELECT unit FROM assignment)), "
        f"count_if({normal('u')} IN (SELECT {normal('unit')} FROM assignment)) FROM data_units"
    ).fetchone()
    if units == 0 or (loose == exact and exact > 0):
        return
    ours = [r[0] for r in con.execute("SELECT u FROM data_units ORDER BY u LIMIT 3").fetchall()]
    theirs = [r[0] for r in con.execute(
        "SELECT DISTINCT unit FROM assignment ORDER BY unit LIMIT 3").fetchall()]
    shown = (f"the data have e.g. {', '.join(repr(u) for u in ours)}; {group_file} has e.g. "
             f"{', '.join(repr(u) for u in theirs)}")
    if loose > exact:
        raise DataError(
            f"{label}: only {exact} of {units} units in column '{unit_column}' match the units of "
            f"groups.file as written, but {loose} match when leading zeros, '.0' and case are "
            f"ignored ({shown}); write the IDs the same way in both files (as text, keeping "
            "leading zeros)"
        )
    raise DataError(
        f"{label}: none of the {units} units in column '{unit_column}' appear in groups.file "
        f"({shown}); check that data.unit and the first column of the group file name the same units"
    )


def repeated_units(con, table: str, value: str, what: str, path, hint: str = "") -> list:
    """A unit table (`table`: columns unit and `value`, the group or the rollout) that lists a
    unit more than once. With two different values (a unit in two groups, two rollout dates, a
    date and an empty one) it is an error naming the file, the unit and both values. A line
    repeated as it is would count the unit's rows twice (the table is joined to every row): the
    table keeps one of each, and a finding says how many lines were dropped."""
    shown = f"coalesce(CAST({value} AS VARCHAR), '(empty)')"
    clash = con.execute(
        f"SELECT unit, list(DISTINCT {shown} ORDER BY {shown})[:2] FROM {table} "
        f"WHERE unit IS NOT NULL GROUP BY unit HAVING count(DISTINCT {shown}) > 1 "
        "ORDER BY unit LIMIT 1").fetchone()
    if clash:
        first, second = clash[1]
        raise DataError(f"{path}: unit '{clash[0]}' is given more than one {what} ('{first}' and "
                        f"'{second}'); give each unit one {what}{hint}, on one line")
    repeated, example = con.execute(
        f"SELECT count(*) - count(DISTINCT unit), min(unit) FILTER (WHERE n > 1) FROM "
        f"(SELECT unit, count(*) OVER (PARTITION BY unit) AS n FROM {table} "
        "WHERE unit IS NOT NULL)").fetchone()
    if not repeated:
        return []
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT DISTINCT * FROM {table}")
    name = getattr(path, "name", str(path))
    return [Finding(
        "repeated_units",
        f"{name}: {repeated} line(s) repeat a unit already listed with the same {what} (e.g. "
        f"'{example}'); each unit is counted once — remove the repeated lines",
        params={"lines": repeated, "file": name, "example": example},
    )]


def single_unit_groups(unit_counts: dict[str, int], has_control: bool) -> list:
    """Designs where no standard error is possible: one control unit, or one treated unit and no
    control group.

    The group's change is then that one unit's own ups and downs, so nothing measures how much
    units differ from each other: the estimate is still defined (and shown) but no standard
    error or test is valid. A single *treated* unit with several controls is fine: the
    permutation test compares it with each of them.
    """
    arm = ("control" if has_control and unit_counts.get("control", 0) == 1 else
           "treatment" if not has_control and unit_counts.get("treatment", 0) == 1 else None)
    if arm is None:
        return []
    return [Finding(
        "single_unit_group",
        f"the {arm} group has only 1 unit: a test needs at least two units per group, so the "
        "estimate is shown with no standard error, confidence interval or p-value; add units "
        f"({'groups.control' if arm == 'control' else 'groups.treatment or a control group'})",
        params={"group": arm},
    )]


def _example(cells: bool, value: str) -> str:
    """SQL for one example (unit, time, value); a cell's time is its span."""
    when = "CAST(t AS VARCHAR)"
    if cells:
        when = f"CASE WHEN t = t_end THEN {when} ELSE {when} || ' – ' || CAST(t_end AS VARCHAR) END"
    return f"any_value(struct_pack(u := unit, t := {when}, v := {value}))"


def value_checks(con, columns: dict[str, str], summed: dict[str, str], label: str,
                 relation: str = "obs_rows", cells: bool = False) -> dict[str, tuple[int, dict]]:
    """One pass over the KPI values. inf or |x| > 1e15 in a KPI column is an export error: it
    raises, naming the column and one row. Negative values in `summed` columns (sum KPIs, rate
    numerators/denominators) are returned: column -> (count, example row).

    `columns` and `summed` map column names to their alias in `relation`: rows, or cells a
    database sent (`cells`), whose `_bad` and `_neg` count such values and `_lo`/`_hi` are the
    extremes."""
    parts = []
    for alias in columns.values():
        if cells:
            high = f"abs({alias}_hi) > {ABSURD}"
            count, cond = f"sum({alias}_bad)", f"{alias}_bad > 0"
            value = f"CASE WHEN {high} THEN {alias}_hi ELSE {alias}_lo END"
        else:
            cond = _absurd(alias)
            count, value = f"count_if({cond})", alias
        parts.append(f"{count}, {_example(cells, value)} FILTER (WHERE {cond})")
    for alias in summed.values():
        count, cond, value = ((f"sum({alias}_neg)", f"{alias}_neg > 0", f"{alias}_lo") if cells
                              else (f"count_if({_negative(alias)})", _negative(alias), alias))
        parts.append(f"{count}, {_example(cells, value)} FILTER (WHERE {cond})")
    if not parts:
        return {}
    row = con.execute(f"SELECT {', '.join(parts)} FROM {relation}").fetchone()
    for i, name in enumerate(columns):
        count, example = row[2 * i], row[2 * i + 1]
        if count:
            raise DataError(
                f"{label}: column '{name}' has {count} value(s) that are infinite or larger than "
                f"{ABSURD:.0e} in magnitude (e.g. unit '{example['u']}', time {example['t']}: "
                f"{example['v']}); fix them at the source or leave the cells empty"
            )
    offset = 2 * len(columns)
    return {name: (int(row[offset + 2 * i]), row[offset + 2 * i + 1])
            for i, name in enumerate(summed) if row[offset + 2 * i]}


def flagged_rows(columns: list[str], summed: list[str]) -> str | None:
    """SQL counting the rows `value_checks` would report (an infinite or absurd value in a KPI
    column of `columns`, a negative one in `summed`): an aggregate the cells count as they are
    made, so that the rows are scanned for the checks' counts and examples only when some are
    flagged. None without KPI columns."""
    conditions = [_absurd(alias) for alias in columns] + [_negative(alias) for alias in summed]
    return f"count_if({' OR '.join(conditions)})" if conditions else None


def _absurd(alias: str) -> str:
    return f"(isinf({alias}) OR abs({alias}) > {ABSURD})"


def _negative(alias: str) -> str:
    return f"{alias} < 0"


def conflicting_rows(con, key_columns: list[str], kpi_columns: list[str], rows: int,
                     repeated_keys: int, unit: str, time: str) -> tuple[int, str] | None:
    """Rows that agree on every column except the KPI values, yet differ in them: the same
    observation exported twice with different numbers.

    Only looked for when such repeated keys are rare (at most CONFLICT_SHARE of the rows): data
    with many rows per key and no row ID (several tickets per agent and day) repeat keys by
    nature. `repeated_keys` is rows minus distinct keys, from the duplicate screen.
    """
    if not kpi_columns or repeated_keys == 0 or repeated_keys > CONFLICT_SHARE * rows:
        return None
    keys = ", ".join(quote(c) for c in key_columns)
    values = ", ".join(quote(c) for c in kpi_columns)
    found = con.execute(
        f"SELECT count(*), arg_min(example, key), min(key) FROM (SELECT "
        f"list(DISTINCT struct_pack({values})) AS example, 'unit ' || CAST({quote(unit)} AS VARCHAR) "
        f"|| ', ' || CAST({quote(time)} AS VARCHAR) AS key FROM raw GROUP BY {keys} "
        f"HAVING count(DISTINCT hash({values})) > 1)"
    ).fetchone()
    if not found[0]:
        return None
    variants = found[1][:2]
    changed = [c for c in kpi_columns if len({str(v[c]) for v in variants}) > 1]
    text = " vs ".join(", ".join(f"{c} {v[c]}" for c in changed) for v in variants)
    return found[0], f"{found[2]}: {text}"
