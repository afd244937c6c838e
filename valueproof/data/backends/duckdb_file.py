"""DuckDB database files (`duckdb:///file.duckdb`, relative to the definition's folder and
inside the allowed roots) as a `Source`: attached read-only in a separate connection, with file
system and network access switched off, no extensions, capped memory and a locked
configuration (`session.lock_down`); the query must be one SELECT by DuckDB's own parser and
the guard, and a timer interrupts it after `data.timeout` seconds. The file is fingerprinted
by its bytes, as a data file is."""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

from valueproof.data import pushdown
from valueproof.data.backends.database import DatabaseSource
from valueproof.data.backends.db_errors import first_line
from valueproof.data.backends.files import file_digest
from valueproof.data.backends.guard import check_select
from valueproof.data.session import lock_down
from valueproof.data.sqltext import literal, quote
from valueproof.errors import DataError


@dataclass(frozen=True)
class DuckDBFileSource(DatabaseSource):
    """A table or query of a DuckDB database file (`database`, resolved inside the allowed
    roots)."""

    database: Path | None = None

    def _rows_fingerprint(self) -> str:
        return file_digest(self.database) if self.database.is_file() else "-"

    def _read(self):
        import duckdb

        if not self.database.is_file():
            raise DataError(f"{self.label}: database file {self.database} not found; "
                            f"check {self.url.origin}")
        sandbox = duckdb.connect(":memory:")
        try:
            try:
                sandbox.execute(f"ATTACH {literal(str(self.database))} AS source (READ_ONLY)")
            except duckdb.Error as exc:
                raise DataError(f"{self.database}: could not be opened as a DuckDB database "
                                f"({first_line(exc)}); check {self.url.origin}") from None
            sandbox.execute("USE source")
            lock_down(sandbox, self.memory_limit)
            query = self.query
            if query is None:
                query = "SELECT * FROM " + ".".join(quote(p) for p in self.table.split("."))
            else:
                self._check_statement(sandbox)
            timer = threading.Timer(self.timeout, sandbox.interrupt)
            timer.start()
            try:
                return self._fetch(sandbox, query)
            finally:
                timer.cancel()
        finally:
            sandbox.close()

    def _fetch(self, sandbox, query: str):
        """The needed columns of `query` as Arrow (after the duplicate checks over every
        column), with DuckDB's errors in the user's words."""
        import duckdb

        try:
            relation = sandbox.sql(query)
            if self.plan is not None and self.plan.duplicates:  # over every column
                self._columns(relation.columns)  # (a missing column's message first)
                found = sandbox.sql(pushdown.row_checks_sql(query, relation.columns, self.plan))
                self._keep_row_checks(found.fetchall(), found.columns)
            relation = relation.select(*(quote(c) for c in self._columns(relation.columns)))
            fetch = getattr(relation, "to_arrow_table", None) or relation.fetch_arrow_table
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return fetch()
        except duckdb.InterruptException:
            raise DataError(self.timeout_message()) from None
        except duckdb.OutOfMemoryException:
            raise DataError(
                f"{self.what} needed more than data.memory_limit "
                f"({self.memory_limit}) and was stopped; select fewer columns or rows, or "
                "raise data.memory_limit"
            ) from None
        except duckdb.PermissionException:
            raise DataError(
                f"{self.what} tried to read a file or URL; a query may only read the "
                f"tables of the database of {self.url.origin}"
            ) from None
        except duckdb.CatalogException as exc:
            raise DataError(f"{self.label}: {self.what} names something the database "
                            f"does not have ({first_line(exc)})") from None
        except duckdb.Error as exc:
            text = first_line(exc)
            if isinstance(exc, duckdb.ConversionException):  # it would quote a value
                text = text.split(":", 2)[0]
            raise DataError(f"{self.what} failed: {text}; fix the query") from None

    def _check_statement(self, sandbox) -> None:
        import duckdb

        try:
            statements = sandbox.extract_statements(self.query)
        except duckdb.Error as exc:
            raise DataError(f"{self.key}.query is not valid SQL: {first_line(exc)}") from None
        if len(statements) != 1:
            raise DataError(f"{self.key}.query holds {len(statements)} statements; give exactly "
                            "one SELECT (or WITH … SELECT) statement, without ';' between others")
        kind = statements[0].type
        if kind != duckdb.StatementType.SELECT:
            raise DataError(f"{self.key}.query is not a SELECT (DuckDB reads it as {kind.name}); "
                            "only a read-only SELECT (or WITH … SELECT) is run")
        check_select(self.query, "duckdb", f"{self.key}.query")  # the functions it calls
