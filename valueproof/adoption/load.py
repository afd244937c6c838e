"""Read the adoption files into one DuckDB connection, as small typed tables.

Each file is read exactly as the main data is (`file_source`: CSV dialects, Parquet, Excel, JSON;
the same sandbox) into the view `raw`, checked, copied into its own table with only the columns
the numbers need, and `raw` dropped before the next file. Tables made here:

- `usage(u VARCHAR, d DATE, f VARCHAR, seats DOUBLE)`: one row per row of the usage file;
- `licensed(u VARCHAR)`: a licence list;
- `training(u VARCHAR, c DATE)`: `c` NULL when not completed;
- `nps(s INTEGER, d DATE)`;
- `tickets(o TIMESTAMP, r TIMESTAMP, p VARCHAR)`: `r` NULL while open.

Impossible values (an answer of 11, a ticket resolved before it was opened) are errors naming the
file, the column and the fix, as everywhere else; rows without a user or a date are left out and
said so.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from valueproof.config.adoption import AdoptionFile
from valueproof.config.inputs import FileReading
from valueproof.config.schema import Experiment
from valueproof.data.columns import (
    NUMERIC_PREFIXES,
    date_format_hint,
    excel_serial_hint,
    not_missing,
    numeric_expression,
    present_text,
    unparseable,
)
from valueproof.data.sources import file_source, table_source
from valueproof.data.sqltext import literal, quote
from valueproof.errors import DataError


@dataclass(frozen=True)
class FileSummary:
    """What one adoption file holds, for `validate` and the appendix."""

    key: str  # adoption.usage, adoption.training, ...
    path: str  # as the definition writes it
    rows: int  # rows read
    used: int  # rows used (those with a user and a date, ...)
    first: str | None  # earliest date
    last: str | None
    distinct: int | None  # users (usage, training, licence list); answers/tickets otherwise


@dataclass
class Loaded:
    """Which tables exist, with their summaries and what was left out (plain English)."""

    tables: set[str] = dataclasses.field(default_factory=set)
    files: list[FileSummary] = dataclasses.field(default_factory=list)
    findings: list[str] = dataclasses.field(default_factory=list)


def _rekey(message: str, key: str) -> str:
    """The main data's messages name its keys (`data.date_format`); here the file's own."""
    return re.sub(r"\bdata\.(path|sheet|delimiter|decimal|encoding|header_row|date_format)\b",
                  rf"{key}.\1", message)


def moment_expression(con, column: str, sql_type: str, label: str, key: str,
                      date_format: str | None, check: bool = True) -> str:
    """SQL turning a date or date-and-time column into a TIMESTAMP (a date is its midnight);
    DataError when a non-empty value does not convert (unless `check` is False: the caller
    counts them itself, in a pass it makes anyway, and calls `not_moments`)."""
    col = quote(column)
    if sql_type == "DATE" or sql_type.startswith("TIMESTAMP"):
        return f"CAST({col} AS TIMESTAMP)"
    if sql_type.startswith(NUMERIC_PREFIXES) and not date_format:
        raise DataError(f"{label}: column '{column}' (from {key}) holds numbers, not dates"
                        + (excel_serial_hint(con, col) or "; give a date column (YYYY-MM-DD)"))
    text = f"CAST({col} AS VARCHAR)"
    expr = (f"try_strptime({text}, {literal(date_format)})" if date_format
            else f"TRY_CAST({present_text(col)} AS TIMESTAMP)")
    if check:
        not_moments(con, column, label, key, date_format, *unparseable(con, col, expr))
    return expr


def not_moments(con, column: str, label: str, key: str, date_format: str | None, count: int,
                example: str | None) -> None:
    """DataError when `count` values of a date column did not convert, with the likely fix."""
    if not count:
        return
    col = quote(column)
    hint = None if date_format else date_format_hint(con, col)  # names data.date_format
    if hint:
        raise DataError(f"{label}: column '{column}' (from {key}) {hint}")
    fix = ("fix those values, or data.date_format" if date_format else
           "write dates as YYYY-MM-DD (or YYYY-MM-DD HH:MM), or set data.date_format "
           "(e.g. '%d/%m/%Y')" + excel_serial_hint(con, col, example))
    kind = f"dates written as '{date_format}'" if date_format else "dates"
    raise DataError(f"{label}: column '{column}' (from {key}) has {count} value(s) that are "
                    f"not {kind} (e.g. '{example}'); {fix}")


class _File:
    """One adoption file registered as `raw` while it is being read."""

    def __init__(self, con, experiment: Experiment, spec: FileReading, key: str,
                 columns: dict[str, str | None], text_columns: tuple[str, ...] = ()):
        self.con, self.spec, self.key = con, spec, key
        needed = {name: f"adoption.{what}" if "." in what else f"{key}.{what}"
                  for what, name in columns.items() if name}
        if spec.from_database:  # a table of a database: the needed columns' rows
            self.source = table_source(experiment, spec, key, needed)
        else:
            path = experiment.resolve(spec.path, f"{key}.path")
            self.source = file_source(path, spec, text_columns)
        self.label = self.source.label
        # as the report's appendix names it
        self.shown = (str(spec.path) if not spec.from_database
                      else f"{self.label} · {spec.table or 'query'}")
        self.source.register(con)
        found = {row[0]: row[1] for row in con.execute("DESCRIBE raw").fetchall()}
        self.source.require_columns(found, needed)
        self.types = found
        self.rows = 0

    def counted(self, rows: int, kept: int, needed: str, lacking: str, loaded: Loaded) -> None:
        """Note the rows read and kept (those with `needed`): none read or none kept is an
        error, some left out (`lacking` it) a finding."""
        self.rows = rows
        if rows == 0:
            raise DataError(f"{self.label}: the file has a header but no rows ({self.key}); "
                            "export it again, or remove the key")
        if kept == 0:
            raise DataError(f"{self.label}: no row has {needed}; check the columns {self.key} "
                            "names")
        if kept < rows:
            loaded.findings.append(f"{self.label}: {rows - kept:,} row(s) have {lacking} and "
                                   "are not used")

    def moment(self, column: str, what: str, check: bool = True) -> str:
        return moment_expression(self.con, column, self.types[column], self.label,
                                 f"{self.key}.{what}", self.spec.date_format, check)

    def number(self, column: str) -> str:
        return numeric_expression(self.con, column, self.types[column], self.label,
                                  self.spec.decimal)

    def close(self) -> None:
        kind = self.con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'raw' "
                                "AND temporary = false").fetchone()[0]
        self.con.execute("DROP VIEW raw" if kind else "DROP TABLE raw")
        self.con.execute("DROP TABLE IF EXISTS raw_rows")  # a database's rows
        if self.source.is_workbook:
            self.con.unregister("raw_frame")


def _text(column: str) -> str:
    return present_text(quote(column))


def load_adoption(con, experiment: Experiment) -> Loaded:
    """Every adoption file of the definition, as tables in `con` (see the module docstring)."""
    import duckdb

    adoption, loaded = experiment.adoption, Loaded()
    steps = [("usage", adoption.usage, _usage),
             ("licences", adoption.licences if adoption.licences and adoption.licences.listed
              else None, _licences),
             ("training", adoption.training, _training), ("nps", adoption.nps, _nps),
             ("tickets", adoption.tickets, _tickets)]
    for name, spec, read in steps:
        if spec is None:
            continue
        key = f"adoption.{name}"
        file = None
        try:
            file = _File(con, experiment, spec, key, *_columns(name, spec, adoption))
            loaded.files.append(read(file, spec, adoption, loaded))
            loaded.tables.add(name if name != "licences" else "licensed")
        except DataError as exc:
            raise DataError(_rekey(exc.message, key)) from None
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0]
            explain = getattr(file.source, "explain", None) if file else None
            explain = explain and explain(exc)
            raise DataError(_rekey(explain or f"{file.label if file else key}: could not be "
                                   f"processed ({first})", key)) from None
        finally:
            if file is not None:
                try:
                    file.close()
                except duckdb.Error:  # pragma: no cover - the view was never created
                    pass
    return loaded


def _columns(name: str, spec: AdoptionFile, adoption) -> tuple[dict, tuple[str, ...]]:
    """(columns the file must have, by key; columns kept as text: user IDs such as '007')."""
    if name == "usage":
        seats = adoption.licences.column if adoption.licences else None
        return ({"user": spec.user, "time": spec.time, "feature": spec.feature,
                 "licences.column": seats}, (spec.user, spec.feature))
    if name == "licences":
        return {"user": spec.user}, (spec.user,)
    if name == "training":
        return {"user": spec.user, "completed": spec.completed}, (spec.user,)
    if name == "nps":
        return {"score": spec.score, "time": spec.time}, ()
    return {"opened": spec.opened, "resolved": spec.resolved, "priority": spec.priority}, \
        (spec.priority,)


def _summary(file: _File, table: str, date_column: str, users: bool) -> FileSummary:
    used, first, last, count = file.con.execute(
        f"SELECT count(*), min({date_column}), max({date_column}), "
        f"{'count(DISTINCT u)' if users else 'count(*)'} FROM {table}").fetchone()
    return FileSummary(file.key, file.shown, file.rows, used,
                       None if first is None else str(first)[:10],
                       None if last is None else str(last)[:10], count)


def _count(file: _File, condition: str) -> tuple[int, int]:
    return file.con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE {condition}) FROM raw").fetchone()


def _usage(file: _File, spec, adoption, loaded: Loaded) -> FileSummary:
    moment = file.moment(spec.time, "time", check=False)
    time = quote(spec.time)
    feature = _text(spec.feature) if spec.feature else "NULL"
    seats = (file.number(adoption.licences.column) if adoption.licences
             and adoption.licences.column else "CAST(NULL AS DOUBLE)")
    # One pass over the file: the rows as the numbers need them, and the dates that do not
    # convert flagged (their text kept only for the message).
    file.con.execute(
        "CREATE TEMP TABLE usage AS SELECT u, CAST(m AS DATE) AS d, f, seats, "
        f"CASE WHEN m IS NULL AND {not_missing('t')} THEN CAST(t AS VARCHAR) END AS example "
        f"FROM (SELECT {_text(spec.user)} AS u, {moment} AS m, {feature} AS f, "
        f"{seats} AS seats, {time} AS t FROM raw)")
    rows, kept, bad, example = file.con.execute(
        "SELECT count(*), count(*) FILTER (WHERE u IS NOT NULL AND d IS NOT NULL), "
        "count(example), any_value(example) FROM usage").fetchone()
    not_moments(file.con, spec.time, file.label, f"{file.key}.time", spec.date_format,
                bad, example)
    file.counted(rows, kept, "both a user and a date", "no user or no date", loaded)
    if kept < rows:
        file.con.execute("DELETE FROM usage WHERE u IS NULL OR d IS NULL")
    file.con.execute("ALTER TABLE usage DROP COLUMN example")
    return dataclasses.replace(_summary(file, "usage", "d", users=True), used=int(kept))


def _licences(file: _File, spec, adoption, loaded: Loaded) -> FileSummary:
    file.counted(*_count(file, f"{_text(spec.user)} IS NOT NULL"), "a user", "no user", loaded)
    file.con.execute(f"CREATE TEMP TABLE licensed AS SELECT DISTINCT {_text(spec.user)} AS u "
                     f"FROM raw WHERE {_text(spec.user)} IS NOT NULL")
    users = file.con.execute("SELECT count(*) FROM licensed").fetchone()[0]
    return FileSummary(file.key, file.shown, file.rows, file.rows, None, None, users)


def _training(file: _File, spec, adoption, loaded: Loaded) -> FileSummary:
    completed = f"CAST({file.moment(spec.completed, 'completed')} AS DATE)"
    file.counted(*_count(file, f"{_text(spec.user)} IS NOT NULL"), "a user", "no user", loaded)
    # A user trained twice counts once, from the first completion.
    file.con.execute(
        f"CREATE TEMP TABLE training AS SELECT u, min(c) AS c FROM (SELECT {_text(spec.user)} "
        f"AS u, {completed} AS c FROM raw) WHERE u IS NOT NULL GROUP BY u")
    return _summary(file, "training", "c", users=True)


def _nps(file: _File, spec, adoption, loaded: Loaded) -> FileSummary:
    score = file.number(spec.score)
    day = f"CAST({file.moment(spec.time, 'time')} AS DATE)"
    bad, example = file.con.execute(
        f"SELECT count(*), any_value(v) FROM (SELECT {score} AS v FROM raw) "
        "WHERE v IS NOT NULL AND (v < 0 OR v > 10 OR v <> round(v))").fetchone()
    if bad:
        raise DataError(
            f"{file.label}: column '{spec.score}' (from {file.key}.score) has {bad} answer(s) "
            f"that are not whole numbers from 0 to 10 (e.g. {example:g}); NPS answers are 0-10: "
            "fix or remove them (a 1-5 or 1-7 scale is not NPS)")
    file.counted(*_count(file, f"{score} IS NOT NULL AND {day} IS NOT NULL"),
                 "both an answer and a date", "no answer or no date", loaded)
    file.con.execute(f"CREATE TEMP TABLE nps AS SELECT CAST(s AS INTEGER) AS s, d FROM ("
                     f"SELECT {score} AS s, {day} AS d FROM raw) "
                     "WHERE s IS NOT NULL AND d IS NOT NULL")
    return _summary(file, "nps", "d", users=False)


def _tickets(file: _File, spec, adoption, loaded: Loaded) -> FileSummary:
    opened = file.moment(spec.opened, "opened")
    resolved = file.moment(spec.resolved, "resolved")
    priority = _text(spec.priority) if spec.priority else "NULL"
    file.counted(*_count(file, f"{opened} IS NOT NULL"), "an opening date", "no opening date",
                 loaded)
    file.con.execute(f"CREATE TEMP TABLE tickets AS SELECT o, r, p FROM (SELECT {opened} AS o, "
                     f"{resolved} AS r, {priority} AS p FROM raw) WHERE o IS NOT NULL")
    bad, opened_at, resolved_at = file.con.execute(
        "SELECT count(*), min(o), arg_min(r, o) FROM tickets WHERE r < o").fetchone()
    if bad:
        raise DataError(
            f"{file.label}: {bad} ticket(s) were resolved before they were opened (e.g. opened "
            f"{opened_at}, resolved {resolved_at}); check that columns '{spec.opened}' and "
            f"'{spec.resolved}' ({file.key}.opened and .resolved) are not swapped, and fix those "
            "rows")
    return _summary(file, "tickets", "o", users=False)
