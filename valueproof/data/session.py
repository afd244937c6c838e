"""DuckDB sessions, set up in one place: the working session and the locked-down one.

The data and adoption stages work in one in-memory session (`open_session`): rows are read into
it (or views over files are made in it), checked and aggregated there; it shows no progress
bar, need not keep rows in order, counts a timestamp with a zone on its date in the
definition's `data.timezone` (not the machine's), and a batch worker's thread budget
(`VALUEPROOF_THREADS`) caps its threads. A DuckDB database file a definition names is read in
a session of its own, locked down once the file is attached (`lock_down`).
"""

from __future__ import annotations

import os

from valueproof.data.sqltext import literal

SANDBOX = (
    "SET enable_external_access = false",
    "SET autoinstall_known_extensions = false",
    "SET autoload_known_extensions = false",
    "SET allow_community_extensions = false",
)


def open_session(timezone: str):
    """A new in-memory DuckDB connection, its dates falling in `timezone`; close it after use."""
    import duckdb

    con = duckdb.connect(":memory:", config={"preserve_insertion_order": False})
    con.execute("SET enable_progress_bar = false")
    # a timestamp with a zone falls on its date in one pinned zone, not the machine's
    con.execute("SET TimeZone = ?", [timezone])
    if os.environ.get("VALUEPROOF_THREADS", "").isdigit():  # set by batch workers
        con.execute(f"SET threads = {int(os.environ['VALUEPROOF_THREADS'])}")
    return con


def lock_down(con, memory_limit: str) -> None:
    """No file system or network access, no extensions, at most `memory_limit` (e.g. 4GB), and
    a configuration that the query cannot change back."""
    for setting in (*SANDBOX, f"SET memory_limit = {literal(memory_limit)}",
                    "SET lock_configuration = true"):
        con.execute(setting)
