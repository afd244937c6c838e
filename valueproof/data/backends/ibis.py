"""Database servers reached through ibis (`ibis.connect` with the URL of the operator's
connection) as a `Source`.

The conversation runs in a thread of its own that the client's clock stops (`watchdog`): each
statement may take data.timeout (the server's own statement timeout answers first); past it,
the read ends with the timeout's message, even when the server stalls or ignores the cancel.
ibis writes the backend's dialect: one SELECT of the needed columns of the table or the
checked query, or the unit × period aggregate (`pushdown`). PostgreSQL adds its own session
settings, role check and faster transport (`postgres`).
"""

from __future__ import annotations

import contextlib

from valueproof.data import pushdown
from valueproof.data.backends.database import BACKENDS, DatabaseSource
from valueproof.data.backends.db_errors import database_error
from valueproof.data.backends.watchdog import Watchdog
from valueproof.errors import DataError

GRACE = 3.0  # seconds the client waits past data.timeout for the server to stop a statement


class IbisSource(DatabaseSource):
    """A table or query of a server ibis reaches."""

    def _read(self):
        """The rows (an Arrow table), read in a thread of its own under the client's clock."""
        watch = Watchdog(self.timeout, GRACE)

        def read():
            backend = self._connect(watch)
            try:
                return self._read_ibis(backend, watch, self._checked_query())
            finally:
                with contextlib.suppress(Exception):
                    backend.disconnect()

        try:
            return watch.run(read)
        except TimeoutError:
            raise DataError(self.timeout_message()) from None

    @property
    def _connect_timeout(self) -> int:
        return max(1, min(30, round(self.timeout)))

    def _connect_options(self) -> dict:
        """The backend's own options of `ibis.connect`."""
        return {}

    def _connected(self, backend, watch: Watchdog) -> None:
        """What the backend does once connected, before any query."""

    def _connect(self, watch: Watchdog):
        scheme = self.url.scheme
        backend, extra, _ = BACKENDS.get(scheme, (scheme, None, None))
        try:
            import ibis
        except ImportError:
            raise DataError(f"{self.label}: reading a database needs the query layer; install "
                            f"it with pip install '{extra or 'valueproof[postgres]'}'") from None
        options = self._connect_options()
        watch.arm(self._connect_timeout)
        try:
            connection = ibis.connect(self.url.resolved, **options)
        except ImportError:
            hint = extra or f"ibis-framework[{backend}]"
            raise DataError(f"{self.label}: the {backend} backend is not installed; install it "
                            f"with pip install '{hint}'") from None
        except ValueError as exc:
            if "Don't know how to connect" in str(exc):
                raise DataError(f"{self.label}: no query backend reads '{scheme}://' URLs; name "
                                "a postgresql:// database, a DuckDB file or another ibis "
                                "backend's URL in the connection") from None
            raise database_error(self, exc) from None
        except Exception as exc:  # noqa: BLE001 - each driver has its own exception types
            raise database_error(self, exc) from None
        self._connected(connection, watch)
        return connection

    def _read_ibis(self, backend, watch: Watchdog, query: str | None):
        """The rows (an Arrow table) of the backend's aggregate (`pushdown`), or of one SELECT
        of the needed columns when their types keep the row path."""
        try:
            if query is not None:
                table = backend.sql(query, schema=self._query_schema(backend, query))
            else:
                *schema, name = self.table.split(".")
                table = backend.table(name, database=schema[0] if schema else None)
            self._columns(list(table.columns))  # (a missing column's message first)
            if self.plan is not None and self.plan.duplicates:  # before the cells stream
                if self._has_primary_key(backend):
                    self.state["row_checks"] = {}  # no two rows alike: nothing to count
                else:
                    checks = pushdown.row_checks(table, self.plan)
                    watch.arm()
                    self._keep_row_checks(self._fetch_checks(backend, checks, watch))
            table = self._selected(table)
            watch.arm()
            return self._fetch_rows(backend, table, watch)
        except DataError:
            raise
        except Exception as exc:  # noqa: BLE001 - each driver has its own exception types
            raise database_error(self, exc) from None

    def _query_schema(self, backend, query: str):
        """The query's columns and types, when the backend must be told them (None: ibis
        asks)."""
        return None

    def _has_primary_key(self, backend) -> bool:
        """The table holds no duplicate rows by its keys: the duplicate checks can be skipped."""
        return False

    def _fetch_checks(self, backend, checks, watch: Watchdog):
        """The one row of the duplicate checks (an ibis expression), as Arrow."""
        return backend.to_pyarrow(checks)

    def _fetch_rows(self, backend, table, watch: Watchdog):
        """The rows or cells of `table` (an ibis expression), as Arrow."""
        return backend.to_pyarrow_batches(table).read_all()
