"""SQL text: identifiers, literals and time points written safely into DuckDB's SQL.

Every module of the data stage that writes SQL takes its quoting from here, so a column name
or a value from the definition can never end a string or an identifier early.
"""

from __future__ import annotations

import datetime as dt


def quote(identifier: str) -> str:
    """A DuckDB identifier, quoted so any column name is safe in SQL."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A SQL string literal of `value`."""
    return "'" + value.replace("'", "''") + "'"


def in_list(values: list[str]) -> str:
    """The inside of `IN (…)` for text values."""
    return ", ".join(literal(v) for v in values)


def sql_time(point) -> str:
    """A date (DATE '…') or an integer period, as SQL."""
    return f"DATE '{point.isoformat()}'" if isinstance(point, dt.date) else str(int(point))
