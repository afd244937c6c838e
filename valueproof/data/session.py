"""The in-memory DuckDB session the data and adoption stages work in, set up in one place.

Rows are read into it (or views over files are made in it), checked and aggregated there; it
shows no progress bar, need not keep rows in order, counts a timestamp with a zone on its date
in the definition's `data.timezone` (not the machine's), and a batch worker's thread budget
(`VALUEPROOF_THREADS`) caps its threads.
"""

from __future__ import annotations

import os


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
