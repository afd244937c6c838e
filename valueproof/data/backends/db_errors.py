"""One message per kind of database failure, in the user's words.

A driver's text is cut to its first line, stripped of libpq's prefixes ("connection to server
at … failed:", "FATAL:", "ERROR:"), never carries a value from the data or a server file (a
data error's quoted value is dropped), and every secret is masked.
"""

from __future__ import annotations

import contextlib
import re

from valueproof.errors import DataError

PREFIXES = re.compile(r'^(?:[A-Z_]{2,}:\s+(?=\S))?(?:\[libpq\]\s*)?'  # ADBC's status, libpq
                      r'(?:Failed to (?:connect|prepare query|execute query):\s*)?'
                      r'(?:could not begin COPY:\s*)?(?:connection failed:\s*)?'
                      r'(?:connection to server (?:at|on) "[^"]*"(?:\s*\([^)]*\))?,\s*port \d+ '
                      r'failed:\s*)?(?:(?:FATAL|ERROR|DETAIL|HINT):\s*)?')
REACHING = ("connection refused", "could not connect", "could not translate host",
            "timeout expired", "no route to host", "server closed the connection",
            "connection timed out", "name or service not known", "network is unreachable")


def first_line(exc: BaseException) -> str:
    """An exception's first line of text, or its type's name when it has none."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def clean(text: str) -> str:
    """A driver's first line without libpq's prefixes (repeated, as libpq nests them)."""
    before = None
    while before != text:
        before, text = text, PREFIXES.sub("", text, count=1).strip()
    return text


def server_text(exc: BaseException) -> str:
    """The server's own primary message when the driver keeps it (psycopg's diag, ADBC's
    details), else the driver's first line, cleaned."""
    primary = getattr(getattr(exc, "diag", None), "message_primary", None)
    details = getattr(exc, "details", None)
    if not primary and isinstance(details, list):
        primary = next((value.decode("utf-8", "replace") for key, value in details
                        if key == b"PG_DIAG_MESSAGE_PRIMARY"), None)
    if primary:
        return primary.strip().splitlines()[0]
    return clean(first_line(exc)) if str(exc).strip() else type(exc).__name__


def sqlstate(exc: BaseException) -> str | None:
    state = getattr(exc, "sqlstate", None) or getattr(getattr(exc, "diag", None),
                                                      "sqlstate", None)
    if state is None and callable(getattr(exc, "getSqlState", None)):  # Spark
        with contextlib.suppress(Exception):
            state = exc.getSqlState()
    return state


def database_error(source, exc: BaseException) -> DataError:
    """The DataError of `exc`, met reading `source` (a `database.DatabaseSource`)."""
    state = sqlstate(exc)
    kind = type(exc).__name__
    text = server_text(exc)
    if state and state.startswith(("22", "58")):  # a data value or a server file's name
        text = text.split(":", 1)[0]
    lowered = text.lower()
    where, what, origin = source.label, source.what, source.url.origin
    if state == "28P01" or "password authentication failed" in lowered \
            or "no password supplied" in lowered:
        message = (f"{where}: the database refused the user name or password; check the "
                   f"credentials of {origin}")
    elif state == "3D000" or ("database" in lowered and "does not exist" in lowered):
        message = f"{where}: the database does not exist ({text}); check {origin}"
    elif kind == "TableNotFound" or state == "42P01":
        named = f"'{source.table}'" if source.query is None else f"({text})"
        message = (f"{where}: {what} names a table the database does not have {named}; "
                   "check the table's name and schema")
    elif state == "42703":
        message = f"{where}: {what} names a column the table does not have ({text})"
    elif state == "57014" or "statement timeout" in lowered:
        message = source.timeout_message()
    elif state == "25006":
        message = (f"{where}: {what} tried to write ({text}); the session is read-only, a "
                   "definition may only read")
    elif state == "42501" and "function" in lowered:
        message = (f"{where}: the database role may not call a function {what} needs ({text}); "
                   "use only the functions the role may call, or ask the database's owner "
                   "to grant EXECUTE on it")
    elif state == "42501":
        message = (f"{where}: the database role may not read this ({text}); ask the "
                   "database's owner to grant it SELECT on the table")
    elif state and state.startswith("42"):
        message = f"{where}: {what} failed ({text}); fix the query"
    elif state and state.startswith("08") or kind in ("ConnectionTimeout", "ConnectionError") \
            or any(words in lowered for words in REACHING):
        message = (f"{where}: the database server could not be reached ({text}); check the "
                   f"host and port of {origin}, and that the server is running")
    else:
        message = f"{where}: reading {what} failed ({kind}: {text})"
    return DataError(source.url.redact(message))
