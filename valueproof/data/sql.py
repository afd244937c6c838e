"""Observations from a database (`data.connection` or a DuckDB file's `data.url`, with
`data.table` or `data.query`), as a `Source`.

The definition is untrusted: it names a connection the operator keeps (config.connections),
never a host or a secret, and every database is read in a sandbox:

* one statement only, and it must be a SELECT (or WITH … SELECT, or a set operation of
  SELECTs) that calls only allowlisted functions (`guard.py`, sqlglot in the backend's
  dialect; DuckDB's own parser also decides for DuckDB files); a statement that writes
  anywhere inside it is refused;
* DuckDB database files (`duckdb:///file.duckdb`, relative to the definition's folder and
  inside the allowed roots) are attached read-only in a separate connection, with file system
  and network access switched off, no extensions, capped memory and a locked configuration,
  and a timer interrupts the query after `data.timeout` seconds;
* PostgreSQL sessions start read-only (`default_transaction_read_only`) with
  `statement_timeout` from `data.timeout`, and a role that is a superuser or may run programs
  or read or write the server's files is refused before any query; the client enforces the
  timeout too (a server that stalls is cancelled and its socket closed);
* Spark (`spark://local[N]`, a local session valueproof starts and stops, or Spark Connect
  `sc://host:port`) has no read-only session: only one SELECT is sent (sqlglot, Spark dialect),
  without `reflect`/`java_method` (which call Java), SQL on files (`parquet.`/path``) is switched
  off, and the query's jobs are cancelled after `data.timeout` (see `spark.py`);
* other backends are reached through ibis (`ibis.connect`) with the extra they need.

Only the columns the experiment reads are asked for: ibis builds one `SELECT unit, time, … FROM
(table or query)` for the backend, and the rows come back as Arrow record batches, streamed into
the pipeline's DuckDB connection as the table behind the view `raw`. (The unit × period GROUP BY
still runs in DuckDB, after the rows arrive.)

Only the connection's name (or the DuckDB file's redacted URL) is ever shown.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from valueproof.config.connections import DatabaseUrl
from valueproof.data import pushdown
from valueproof.data.db_errors import database_error, first_line
from valueproof.data.guard import check_select
from valueproof.data.sqltext import literal, quote
from valueproof.data.watchdog import Watchdog
from valueproof.errors import DataError

SANDBOX = (
    "SET enable_external_access = false",
    "SET autoinstall_known_extensions = false",
    "SET autoload_known_extensions = false",
    "SET allow_community_extensions = false",
)

# URL scheme → (ibis backend, pip extra of valueproof or ibis, sqlglot dialect)
BACKENDS = {
    "postgresql": ("postgres", "valueproof[postgres]", "postgres"),
    "postgres": ("postgres", "valueproof[postgres]", "postgres"),
    "mysql": ("mysql", "ibis-framework[mysql]", "mysql"),
    "mssql": ("mssql", "ibis-framework[mssql]", "tsql"),
    "snowflake": ("snowflake", "ibis-framework[snowflake]", "snowflake"),
    "bigquery": ("bigquery", "ibis-framework[bigquery]", "bigquery"),
    "trino": ("trino", "ibis-framework[trino]", "trino"),
    "clickhouse": ("clickhouse", "ibis-framework[clickhouse]", "clickhouse"),
    "databricks": ("databricks", "ibis-framework[databricks]", "databricks"),
    "oracle": ("oracle", "ibis-framework[oracle]", "oracle"),
    "risingwave": ("risingwave", "ibis-framework[risingwave]", "postgres"),
    "impala": ("impala", "ibis-framework[impala]", "hive"),
    "druid": ("druid", "ibis-framework[druid]", "druid"),
    "exasol": ("exasol", "ibis-framework[exasol]", "exasol"),
    "spark": ("pyspark", "valueproof[spark]", "spark"),
    "sc": ("pyspark", "valueproof[spark]", "spark"),
}

# Rows read from a database in this process: (what was asked) → digest of the rows
_READ: dict[str, str] = {}
GRACE = 3.0  # seconds the client waits past data.timeout for the server to stop a statement
# PostgreSQL roles that may run programs on the server or read or write its files
SERVER_ROLES = ("pg_execute_server_program", "pg_read_server_files", "pg_write_server_files")


@dataclass(frozen=True)
class DatabaseSource:
    """`data.table` or `data.query` of a database; `needed` maps each column the experiment
    reads to the definition key that names it."""

    url: DatabaseUrl
    table: str | None
    query: str | None
    needed: dict[str, str]
    timeout: float = 300.0  # seconds
    memory_limit: str = "4GB"
    database: Path | None = None  # a DuckDB file, resolved inside the allowed roots
    plan: object = None  # pushdown.Plan: the aggregation the backend runs (None: rows)
    timezone: str = "UTC"  # the session's, where a timestamp falls on its date
    view: str = "raw"  # the DuckDB view the rows become
    key: str = "data"  # the definition's section naming the source, for messages
    state: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def label(self) -> str:
        return self.url.label

    @property
    def what(self) -> str:
        """The definition key of what is read: `data.table` or `data.query`."""
        return f"{self.key}.table" if self.query is None else f"{self.key}.query"

    @property
    def aggregated(self) -> bool:
        """The backend sent cells of `pushdown.expression`, not rows (known once read)."""
        return self.state.get("aggregated", False)

    @property
    def projected(self) -> bool:
        """Only the columns the experiment reads arrive, so rows may repeat without being
        duplicates (their ID was not asked for): the duplicate-row checks do not apply."""
        return True

    @property
    def _asked(self) -> str:
        return "\x00".join((self.url.label, self.url.shown, self.table or "", self.query or "", self.key,
                            self.view, self.timezone))

    def register(self, con) -> None:
        rows = f"{self.view}_rows"
        if self.database is not None:
            self._store(con, self._read_duckdb(), rows)
        elif self.url.scheme in ("spark", "sc"):
            self._store(con, self._read_spark(), rows)
        else:
            self._store(con, self._read_guarded(), rows)
        con.execute(f"CREATE VIEW {self.view} AS SELECT * FROM {rows}")
        count, digest = con.execute(
            f"SELECT count(*), coalesce(sum(hash(r)::HUGEINT), 0)::VARCHAR FROM {rows} r"
        ).fetchone()
        _READ[self._asked] = f"{count}:{digest}"

    @staticmethod
    def _store(con, arrow, name: str = "raw_rows") -> None:
        """The rows (an Arrow table or a stream of record batches) as DuckDB's table `name`
        (through a cursor of its own: `con` may hold a result not fetched to the end)."""
        cursor = con.cursor()
        try:
            cursor.register("raw_batches", arrow)
            cursor.execute(f"CREATE TABLE {name} AS SELECT * FROM raw_batches")
        finally:
            cursor.close()

    def fingerprint(self) -> str:
        """A hash of what was asked (URL redacted) and of the rows read in this process; before
        they are read, a hash that matches nothing, so a batch run never takes a database's
        results as up to date. A DuckDB file is hashed itself, as a data file is."""
        if self.database is not None:
            from valueproof.data.sources import FileSource

            rows = FileSource(self.database).fingerprint() if self.database.is_file() else "-"
        else:
            rows = _READ.get(self._asked) or f"not read yet {secrets.token_hex(16)}"
        return hashlib.sha256(f"{self._asked}\x00{rows}".encode()).hexdigest()

    # --- the statement ---------------------------------------------------------------------

    def _checked_query(self) -> str | None:
        """The query as sent: checked and written out again by sqlglot in the backend's dialect
        (what ibis embeds too), so what was checked is what runs."""
        if self.query is None:
            return None
        dialect = BACKENDS.get(self.url.scheme, (None, None, None))[2]
        return check_select(self.query, dialect, f"{self.key}.query")

    def _columns(self, found: list[str]) -> list[str]:
        """The needed columns, in the data's order; DataError (as for a file) for a missing one."""
        from valueproof.data.load import _require_columns

        if not self.needed:  # a small table read whole (groups, rollout)
            return found
        _require_columns(dict.fromkeys(found, ""), self.needed, self.label, None)
        return [c for c in found if c in self.needed]

    # --- DuckDB files ----------------------------------------------------------------------

    def _read_duckdb(self):
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
            for setting in (*SANDBOX, f"SET memory_limit = {literal(self.memory_limit)}",
                            "SET lock_configuration = true"):
                sandbox.execute(setting)
            query = self.query
            if query is None:
                query = "SELECT * FROM " + ".".join(quote(p) for p in self.table.split("."))
            else:
                self._check_duckdb_statement(sandbox)
            timer = threading.Timer(self.timeout, sandbox.interrupt)
            timer.start()
            try:
                relation = sandbox.sql(query)
                if self.plan is not None and self.plan.duplicates:  # over every column
                    self._columns(relation.columns)  # (a missing column's message first)
                    found = sandbox.sql(pushdown.row_checks_sql(query, relation.columns,
                                                                self.plan))
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
            finally:
                timer.cancel()
        finally:
            sandbox.close()

    def _check_duckdb_statement(self, sandbox) -> None:
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

    def timeout_message(self) -> str:
        return (f"{self.label}: {self.what} did not finish within data.timeout "
                f"({self.timeout:g} s) and was stopped; aggregate or filter more in the query, "
                "or raise data.timeout")

    # --- Spark, through ibis ---------------------------------------------------------------

    def _read_spark(self):
        """The needed columns as an Arrow table, from a Spark session (spark.py): ibis writes
        the SELECT in Spark SQL, Spark runs it under a tag that a timer interrupts."""
        from valueproof.data import spark

        query = self._checked_query()
        with spark.session(self.url, self.label, self.memory_limit, self.timezone) as session:
            try:
                import ibis

                backend = ibis.pyspark.connect(session)
                # (ibis sets the session's zone to UTC; a timestamp falls on its date in ours)
                session.conf.set("spark.sql.session.timeZone", self.timezone)
                if query is None:  # (ibis's table() runs USE, which global_temp refuses)
                    query = "SELECT * FROM " + ".".join(
                        "`" + part.replace("`", "``") + "`" for part in self.table.split("."))
                table = backend.sql(query)
                self._columns(list(table.columns))  # (a missing column's message first)
                checks = backend.compile(pushdown.row_checks(table, self.plan)) \
                    if self.plan is not None and self.plan.duplicates else None
                statement = backend.compile(self._selected(table))
            except DataError:
                raise
            except Exception as exc:  # noqa: BLE001 - pyspark and py4j have their own types
                raise database_error(self, exc) from None
            try:
                if checks is not None:
                    self._keep_row_checks(spark.run(session, checks, self.timeout))
                return spark.run(session, statement, self.timeout)
            except TimeoutError:
                raise DataError(self.timeout_message()) from None
            except Exception as exc:  # noqa: BLE001
                raise database_error(self, exc) from None

    # --- other databases, through ibis -----------------------------------------------------

    def _read_guarded(self):
        """The rows (an Arrow table) of a server reached through ibis, read in a thread of its
        own that the client's clock stops: each statement may take data.timeout (the server's
        own statement_timeout answers first); past it, the statement is cancelled, the
        connection's socket shut, and the read ends with the timeout's message, even when the
        server stalls or ignores the cancel."""
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

    def _connect(self, watch: Watchdog):
        scheme = self.url.scheme
        backend, extra, _ = BACKENDS.get(scheme, (scheme, None, None))
        try:
            import ibis
        except ImportError:
            raise DataError(f"{self.label}: reading a database needs the query layer; install "
                            f"it with pip install '{extra or 'valueproof[postgres]'}'") from None
        options = {}
        if backend == "postgres":
            options = {"options": self._session_options(),
                       "connect_timeout": self._connect_timeout,
                       "application_name": "valueproof"}
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
        if connection.name == "postgres":
            watch.on_timeout(lambda: _stop_psycopg(connection.con))
            watch.arm()
            self._check_role(connection)
        return connection

    @property
    def _connect_timeout(self) -> int:
        return max(1, min(30, round(self.timeout)))

    def _check_role(self, backend) -> None:
        """Refuse a PostgreSQL role that is a superuser or may run programs on the server or
        read or write its files: a read-only session does not stop those."""
        try:
            with backend.con.cursor() as cursor:
                cursor.execute(
                    "SELECT current_user::text, r.rolsuper, ARRAY(SELECT g.rolname::text FROM "
                    "pg_roles g WHERE g.rolname = ANY(%s) AND pg_has_role(current_user, g.oid, "
                    "'MEMBER') ORDER BY 1) FROM pg_roles r WHERE r.rolname = current_user",
                    [list(SERVER_ROLES)])
                user, superuser, powers = cursor.fetchone()
        except Exception as exc:  # noqa: BLE001 - the driver's own exception types
            raise database_error(self, exc) from None
        if not (superuser or powers):
            return
        what = "a superuser" if superuser else f"a member of {', '.join(powers)}"
        raise DataError(self.url.redact(
            f"{self.label}: the database role '{user}' is {what}, which can run programs or "
            "read and write the server's files even in a read-only session; valueproof reads "
            f"only through a role that cannot. Create one and name it in {self.url.origin}: "
            "CREATE ROLE valueproof_reader LOGIN PASSWORD '…'; GRANT pg_read_all_data TO "
            "valueproof_reader; (or GRANT SELECT on the tables it reads)"))

    def _read_ibis(self, backend, watch: Watchdog, query: str | None):
        """The rows (an Arrow table) of the backend's aggregate (`pushdown`), or of one SELECT
        of the needed columns when their types keep the row path."""
        try:
            if query is not None:
                table = backend.sql(query, schema=self._query_schema(backend, query))
            else:
                *schema, name = self.table.split(".")
                table = backend.table(name, database=schema[0] if schema else None)
            adbc = backend.name == "postgres" and _adbc_postgres() is not None
            self._columns(list(table.columns))  # (a missing column's message first)
            if self.plan is not None and self.plan.duplicates:  # before the cells stream
                if self._has_primary_key(backend):
                    self.state["row_checks"] = {}  # no two rows alike: nothing to count
                else:
                    checks = pushdown.row_checks(table, self.plan)
                    watch.arm()
                    found = (self._read_adbc(backend.compile(checks), watch) if adbc
                             else backend.to_pyarrow(checks))
                    self._keep_row_checks(found)
            table = self._selected(table)
            watch.arm()
            if adbc:
                return self._read_adbc(backend.compile(table), watch)
            return backend.to_pyarrow_batches(table).read_all()
        except DataError:
            raise
        except Exception as exc:  # noqa: BLE001 - each driver has its own exception types
            raise database_error(self, exc) from None

    def _has_primary_key(self, backend) -> bool:
        """A PostgreSQL data.table with a primary key on columns that are not KPI columns holds
        no duplicate rows and no rows that repeat their keys: the checks can be skipped."""
        if backend.name != "postgres" or self.table is None:
            return False
        try:
            with backend.con.cursor() as cursor:
                cursor.execute(
                    "SELECT array_agg(a.attname::text) FROM pg_index i JOIN pg_attribute a ON "
                    "a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                    "WHERE i.indrelid = to_regclass(%s) AND i.indisprimary", [self.table])
                found = cursor.fetchone()
        except Exception:  # noqa: BLE001 - a name to_regclass cannot read: check the rows
            with contextlib.suppress(Exception):
                backend.con.rollback()
            return False
        columns = found[0] if found else None
        return bool(columns) and not set(columns) & set(self.plan.columns)

    def _keep_row_checks(self, found, names: list[str] | None = None) -> None:
        """The backend's `pushdown.row_checks`, for `load`: an Arrow table of one row (or
        DuckDB's rows and their column `names`)."""
        self.state["row_checks"] = (dict(zip(names, found[0])) if names is not None
                                    else found.to_pylist()[0])

    @property
    def row_checks(self) -> dict | None:
        """rows, distinct (rows), keys, conflicts and example (a unit) of the backend's
        duplicate checks over every column of the table or query; None when not run."""
        return self.state.get("row_checks")

    def _selected(self, table):
        """What is asked of `table` (an ibis table): the plan's aggregate, or the needed
        columns."""
        table = table.select(*self._columns(list(table.columns)))
        cells = pushdown.expression(table, self.plan) if self.plan is not None else None
        self.state["aggregated"] = cells is not None
        return table if cells is None else cells

    def _session_options(self) -> str:
        """PostgreSQL settings of every session: read-only, the statement timeout, the time
        zone in which a timestamp falls on its date, and memory to aggregate in (an eighth of
        data.memory_limit, so the GROUP BY hashes instead of sorting on disk)."""
        from valueproof.config.schema import megabytes

        millis = max(1, round(self.timeout * 1000))
        work = max(4096, min(int(megabytes(self.memory_limit) * 1024 / 8), 2 * 1024 ** 2))
        return (f"-c default_transaction_read_only=on -c statement_timeout={millis} "
                f"-c TimeZone={self.timezone} -c work_mem={work}kB")

    def _read_adbc(self, statement: str, watch: Watchdog):
        """The rows of `statement` from PostgreSQL as Arrow, through the ADBC driver (COPY in
        binary; rows arrive several times faster than through ibis's fetch over psycopg)."""
        from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

        driver = _adbc_postgres()
        parts = urlsplit(self.url.resolved)
        settings = dict(parse_qsl(parts.query))
        settings.update(options=self._session_options(), application_name="valueproof",
                        connect_timeout=str(self._connect_timeout))
        uri = urlunsplit(("postgresql", parts.netloc, parts.path,
                           urlencode(settings, quote_via=quote), ""))
        try:
            with driver.connect(uri) as connection, connection.cursor() as cursor:
                watch.on_timeout(cursor.adbc_cancel)
                cursor.execute(statement)
                return cursor.fetch_arrow_table()
        except Exception as exc:  # noqa: BLE001 - the driver's own exception types
            raise database_error(self, exc) from None

    def _query_schema(self, backend, query: str):
        """The query's columns and types, asked without creating anything (ibis would create a
        temporary view, which a read-only session refuses)."""
        con = getattr(backend, "con", None)
        if backend.name != "postgres" or con is None:
            return None
        from ibis.backends.sql.datatypes import PostgresType

        with con.cursor() as cursor:
            cursor.execute(f"SELECT * FROM ({query}\n) AS valueproof_probe LIMIT 0")
            return {column.name: PostgresType.from_string(column.type_display)
                    for column in cursor.description}


def _adbc_postgres():
    """The ADBC PostgreSQL driver's DB-API module, or None when it is not installed."""
    try:
        import adbc_driver_postgresql.dbapi as driver
    except ImportError:
        return None
    return driver


def _stop_psycopg(connection) -> None:
    """Cancel what a psycopg connection waits for, then shut its socket (a server that ignores
    the cancel, or stalls, would otherwise keep the reading thread forever)."""
    import socket

    with contextlib.suppress(Exception):
        connection.cancel_safe(timeout=GRACE)
    with contextlib.suppress(Exception):
        fd = connection.pgconn.socket
        with socket.socket(fileno=os.dup(fd)) as sock:
            sock.shutdown(socket.SHUT_RDWR)
