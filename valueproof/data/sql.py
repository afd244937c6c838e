"""A read-only SQL query against a DuckDB database file, as a `Source`.

The query comes from an untrusted definition, so it runs in a sandbox of its own: a separate
DuckDB connection where the database is attached read-only, file system and network access are
then switched off, extensions can neither be installed nor loaded, memory is capped and the
configuration is locked. Only one SELECT statement is accepted (DuckDB's parser decides, not a
regular expression), and a timer interrupts it after `data.timeout` seconds. Its result is
handed to the pipeline's own connection as the view `raw`.
"""

from __future__ import annotations

import hashlib
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

from valueproof.data.sources import FileSource, literal
from valueproof.errors import DataError

SANDBOX = (
    "SET enable_external_access = false",
    "SET autoinstall_known_extensions = false",
    "SET autoload_known_extensions = false",
    "SET allow_community_extensions = false",
)


def database_location(url: str) -> Path:
    """The database file named by `duckdb:///relative.duckdb`, `duckdb:////absolute.duckdb` or a
    plain path; DataError for any other kind of URL."""
    location = url.removeprefix("duckdb:///").removeprefix("duckdb://")
    if "://" in location or not location:
        raise DataError(
            f"data.sql.url '{url}': only DuckDB database files are supported "
            "(duckdb:///path/to/file.duckdb, relative to the definition's folder)"
        )
    return Path(location)


@dataclass(frozen=True)
class SqlSource:
    """One SELECT against a DuckDB database file; `database` is already resolved and checked
    against the definition's folder (see `Experiment.resolve`)."""

    url: str
    query: str
    database: Path
    timeout: float = 300.0  # seconds
    memory_limit: str = "4GB"

    @property
    def label(self) -> str:
        return self.url

    def register(self, con) -> None:
        if not self.database.is_file():
            raise DataError(f"{self.database}: database file not found; check data.sql.url")
        con.register("raw_result", self._run())
        con.execute("CREATE VIEW raw AS SELECT * FROM raw_result")

    def _run(self):
        """The query's result as an Arrow table, computed in the sandbox."""
        import duckdb

        sandbox = duckdb.connect(":memory:")
        try:
            try:
                sandbox.execute(f"ATTACH {literal(str(self.database))} AS source (READ_ONLY)")
            except duckdb.Error as exc:
                raise DataError(f"{self.database}: could not be opened as a DuckDB database "
                                f"({_first_line(exc)}); check data.sql.url") from None
            sandbox.execute("USE source")
            for setting in (*SANDBOX, f"SET memory_limit = {literal(self.memory_limit)}",
                            "SET lock_configuration = true"):
                sandbox.execute(setting)
            self._check_statement(sandbox)
            timer = threading.Timer(self.timeout, sandbox.interrupt)
            timer.start()
            try:
                result = sandbox.execute(self.query)
                # DuckDB 2 renamed fetch_arrow_table (and warns that Arrow output of a cursor
                # is a copy, which is what is wanted: the sandbox closes next)
                fetch = getattr(result, "to_arrow_table", None) or result.fetch_arrow_table
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    return fetch()
            except duckdb.InterruptException:
                raise DataError(
                    f"data.sql.query did not finish within data.timeout ({self.timeout:g} s) and "
                    "was stopped; aggregate or filter more in the query, or raise data.timeout"
                ) from None
            except duckdb.OutOfMemoryException:
                raise DataError(
                    f"data.sql.query needed more than data.memory_limit ({self.memory_limit}) and "
                    "was stopped; select fewer columns or rows, or raise data.memory_limit"
                ) from None
            except duckdb.PermissionException:
                raise DataError(
                    "data.sql.query tried to read a file or URL; a query may only read the "
                    "tables of the database in data.sql.url"
                ) from None
            except duckdb.Error as exc:
                raise DataError(f"data.sql.query failed: {_first_line(exc)}; fix the query") from None
            finally:
                timer.cancel()
        finally:
            sandbox.close()

    def _check_statement(self, sandbox) -> None:
        import duckdb

        try:
            statements = sandbox.extract_statements(self.query)
        except duckdb.Error as exc:
            raise DataError(f"data.sql.query is not valid SQL: {_first_line(exc)}") from None
        if len(statements) != 1:
            raise DataError(f"data.sql.query holds {len(statements)} statements; give exactly "
                            "one SELECT (or WITH … SELECT) statement, without ';' between others")
        kind = statements[0].type
        if kind != duckdb.StatementType.SELECT:
            raise DataError(f"data.sql.query is not a SELECT (DuckDB reads it as {kind.name}); "
                            "only a read-only SELECT (or WITH … SELECT) is run")

    def fingerprint(self) -> str:
        digest = hashlib.sha256(self.query.encode())
        digest.update(FileSource(self.database).fingerprint().encode())
        return digest.hexdigest()


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]
