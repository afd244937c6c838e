"""`data.roster`: each unit's active dates, read from a CSV or a database table.

The roster is untrusted input like the group and rollout files: a CSV is resolved through
`Experiment.resolve` (under the definition's folder or an allowed root) and read as text; a
database table goes through `sources.table_source` (the data's sandbox). Its columns are named
`unit`, `start` and `end` (in any case and order); `start` and `end` are dates (YYYY-MM-DD, or a
database's dates and timestamps) or, for data with integer periods, integers; an empty one is
open. A unit may have several lines (it left and came back). Problems that make it unusable
(missing columns, values that are not dates, an end before its start, dates without a unit)
raise `DataError` naming the file and the column.
"""

from __future__ import annotations

from valueproof.data.backends.csv import CsvDialect, check_lines
from valueproof.data.findings import Finding
from valueproof.data.sources import table_source
from valueproof.data.sqltext import literal, quote
from valueproof.errors import DataError

COLUMNS = ("unit", "start", "end")
OPEN = (-(2**62), 2**62)  # an open start or end, as a day number or period


def register(con, experiment, time_kind: str) -> tuple[str, str] | None:
    """The roster as the DuckDB table `roster` (unit VARCHAR, rs, re: DATE or BIGINT, NULL
    when open); returns how errors and warnings name it (the file's path and name, or the
    database table's label twice), or None without `data.roster`."""
    import duckdb

    spec = experiment.data.roster
    if spec is None:
        return None
    if spec.from_database:
        source = table_source(experiment, spec, "data.roster", view="roster_raw")
        source.register(con)
        label = shown = source.label
    else:
        path = experiment.resolve(spec.path, "data.roster.path")
        if not path.exists():
            raise DataError(f"{path}: roster file not found; check data.roster.path")
        check_lines(path, path, CsvDialect(), every_line=True)
        try:
            con.execute("CREATE TEMP VIEW roster_raw AS SELECT * FROM "
                        f"read_csv({literal(str(path))}, all_varchar=true)")
        except duckdb.Error as exc:
            raise DataError(f"{path}: could not be read as CSV ({str(exc).splitlines()[0]}); "
                            "save the roster as comma-separated UTF-8 text with a header row "
                            "unit,start,end") from None
        label, shown = str(path), path.name
    described = con.execute("DESCRIBE roster_raw").fetchall()
    names = {str(row[0]).strip().lower(): (row[0], row[1]) for row in described}
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise DataError(
            f"{label}: column(s) {', '.join(repr(c) for c in missing)} not found; data.roster "
            f"needs columns unit, start, end (it has {', '.join(repr(r[0]) for r in described)})")
    unit = f"nullif(trim(CAST({quote(names['unit'][0])} AS VARCHAR)), '')"
    parsed = {key: _value(*names[key], time_kind) for key in ("start", "end")}
    cast = "DATE" if time_kind == "date" else "BIGINT"
    kind = ("dates (YYYY-MM-DD)" if time_kind == "date"
            else "integer periods like the data's")
    for key, value in parsed.items():
        bad = con.execute(
            f"SELECT count(*), min(struct_pack(u := {unit}, v := CAST({quote(names[key][0])} "
            f"AS VARCHAR))) FROM roster_raw WHERE {value} IS NOT NULL AND "
            f"TRY_CAST({value} AS {cast}) IS NULL").fetchone()
        if bad[0]:
            raise DataError(
                f"{label}: {bad[0]} value(s) of column '{names[key][0]}' are not {kind} (e.g. "
                f"'{bad[1]['v']}' for unit '{bad[1]['u']}'); write each unit's first and last "
                "active date, or leave the end empty for a unit still active")
    con.execute(f"CREATE TEMP TABLE roster AS SELECT {unit} AS unit, "
                f"TRY_CAST({parsed['start']} AS {cast}) AS rs, "
                f"TRY_CAST({parsed['end']} AS {cast}) AS re FROM roster_raw")
    nameless = con.execute("SELECT count(*) FROM roster WHERE unit IS NULL AND "
                           "(rs IS NOT NULL OR re IS NOT NULL)").fetchone()[0]
    if nameless:
        raise DataError(f"{label}: {nameless} line(s) have dates but no unit in column "
                        f"'{names['unit'][0]}'; name the unit on every line")
    reversed_ = con.execute("SELECT unit, rs, re FROM roster WHERE re < rs ORDER BY unit "
                            "LIMIT 1").fetchone()
    if reversed_:
        raise DataError(
            f"{label}: unit '{reversed_[0]}' ends {reversed_[2]}, before it starts "
            f"{reversed_[1]} (column '{names['end'][0]}'); write the last active date in "
            f"'{names['end'][0]}', on or after '{names['start'][0]}'")
    con.execute("DELETE FROM roster WHERE unit IS NULL")
    return label, shown


def _value(column: str, sql_type: str, time_kind: str) -> str:
    """SQL for a roster date as text, or as the database's date (a timestamp: its date in
    data.timezone); NULL when empty."""
    if time_kind == "date" and (sql_type == "DATE" or sql_type.startswith("TIMESTAMP")):
        return f"CAST({quote(column)} AS DATE)"
    return f"nullif(trim(CAST({quote(column)} AS VARCHAR)), '')"


def spans(con, time_kind: str) -> dict[str, list[tuple[int, int]]]:
    """unit -> its active spans as (first, last) day numbers (or periods), merged where they
    overlap or touch; open ends as `OPEN`."""
    as_number = ("datediff('day', DATE '1970-01-01', {})" if time_kind == "date" else "{}")
    rows = con.execute(
        f"SELECT unit, coalesce({as_number.format('rs')}, {OPEN[0]}), "
        f"coalesce({as_number.format('re')}, {OPEN[1]}) FROM roster ORDER BY unit, 2, 3"
    ).fetchall()
    merged: dict[str, list[tuple[int, int]]] = {}
    for unit, start, end in rows:
        own = merged.setdefault(unit, [])
        if own and start <= own[-1][1] + 1:
            own[-1] = (own[-1][0], max(own[-1][1], end))
        else:
            own.append((start, end))
    return merged


def findings(con, name: str) -> list:
    """Warnings about a roster read against the units of the experiment (table `panel_units`)
    and the rows of the compared windows (view `used`): units it lists that the experiment does
    not have, and rows of its units that fall outside their dates (kept, and counted as
    observed)."""
    out = []
    unknown, example = con.execute(
        "SELECT count(DISTINCT unit), min(unit) FROM roster "
        "WHERE unit NOT IN (SELECT unit FROM panel_units)").fetchone()
    if unknown:
        out.append(Finding(
            "roster_unknown_units",
            f"{name}: {unknown} unit(s) of data.roster are not units of this experiment (e.g. "
            f"'{example}'); they are ignored — check that the roster names units as data.unit "
            "does", params={"units": unknown, "file": name, "example": example}))
    outside = con.execute(
        "SELECT coalesce(sum(n), 0), count(DISTINCT unit), min(unit) FROM used u "
        "WHERE unit IN (SELECT unit FROM roster) AND NOT EXISTS (SELECT 1 FROM roster r WHERE "
        "r.unit = u.unit AND (r.rs IS NULL OR u.t_end >= r.rs) AND (r.re IS NULL OR u.t <= r.re))"
    ).fetchone()
    if outside[0]:
        out.append(Finding(
            "rows_outside_roster",
            f"{outside[0]} row(s) of {outside[1]} unit(s) (e.g. '{outside[2]}') fall outside "
            "their dates in data.roster; they are used as they are — check the roster's dates",
            params={"rows": outside[0], "units": outside[1], "example": outside[2]}))
    return out
