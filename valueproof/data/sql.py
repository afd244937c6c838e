"""Observations from a database (`data.url` with `data.table` or `data.query`), as a `Source`.

The definition is untrusted, so every database is read in a sandbox:

* one statement only, and it must be a SELECT (or WITH … SELECT, or a set operation of
  SELECTs); DuckDB's own parser decides for DuckDB files, sqlglot in the backend's dialect for
  the others; a statement that writes anywhere inside it is refused;
* DuckDB database files (`duckdb:///file.duckdb`, relative to the definition's folder and
  inside the allowed roots) are attached read-only in a separate connection, with file system
  and network access switched off, no extensions, capped memory and a locked configuration,
  and a timer interrupts the query after `data.timeout` seconds;
* PostgreSQL sessions start read-only (`default_transaction_read_only`) with
  `statement_timeout` from `data.timeout`, so a query that writes through a function fails;
* Spark (`spark://local[N]`, a local session valueproof starts and stops, or Spark Connect
  `sc://host:port`) has no read-only session: only one SELECT is sent (sqlglot, Spark dialect),
  without `reflect`/`java_method` (which call Java), SQL on files (`parquet.`/path``) is switched
  off, and the query's jobs are cancelled after `data.timeout` (see `spark.py`);
* other backends are reached through ibis (`ibis.connect`) with the extra they need.

Only the columns the experiment reads are asked for: ibis builds one `SELECT unit, time, … FROM
(table or query)` for the backend, and the rows come back as Arrow record batches, streamed into
the pipeline's DuckDB connection as the table behind the view `raw`. (The unit × period GROUP BY
still runs in DuckDB, after the rows arrive.)

The URL may hold `${NAME}`s read from the environment; only its redacted form is ever shown.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from valueproof.data import pushdown
from valueproof.data.sources import literal, quote
from valueproof.data.url import DatabaseUrl
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

# Spark SQL functions that call any static Java method: never sent
JAVA_CALLS = {"reflect", "java_method", "try_reflect"}

# Rows read from a database in this process: (what was asked) → digest of the rows
_READ: dict[str, str] = {}


def database_location(url: str, key: str = "data.url") -> Path:
    """The database file named by `duckdb:///relative.duckdb` or `duckdb:////absolute.duckdb`."""
    location = url.removeprefix("duckdb:///").removeprefix("duckdb://")
    if "://" in location or not location or location == ":memory:":
        raise DataError(f"{key} '{url}': name a DuckDB database file "
                        "(duckdb:///path/to/file.duckdb, relative to the definition's folder)")
    return Path(location)


def is_duckdb(url: str) -> bool:
    return url.lower().startswith("duckdb://")


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
        return self.url.shown

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
        return "\x00".join((self.url.shown, self.table or "", self.query or "", self.key,
                            self.view, self.timezone))

    def register(self, con) -> None:
        rows = f"{self.view}_rows"
        if self.database is not None:
            self._store(con, self._read_duckdb(), rows)
        elif self.url.scheme in ("spark", "sc"):
            self._store(con, self._read_spark(), rows)
        else:
            backend = self._connect()
            try:
                failed: list[Exception] = []
                reader = self._read_ibis(backend, failed, self._checked_query())
                try:
                    self._store(con, reader, rows)
                except Exception as exc:  # noqa: BLE001 - DuckDB wraps what the stream raised
                    if failed:  # raised by the database while the rows streamed in
                        raise self._database_error(failed[0]) from None
                    raise DataError(self.url.redact(f"{self.label}: the rows could not be "
                                                    f"read ({_first_line(exc)})")) from None
            finally:
                with contextlib.suppress(Exception):
                    backend.disconnect()
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
                            f"check {self.key}.url")
        sandbox = duckdb.connect(":memory:")
        try:
            try:
                sandbox.execute(f"ATTACH {literal(str(self.database))} AS source (READ_ONLY)")
            except duckdb.Error as exc:
                raise DataError(f"{self.database}: could not be opened as a DuckDB database "
                                f"({_first_line(exc)}); check {self.key}.url") from None
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
                raise DataError(self._timeout_message()) from None
            except duckdb.OutOfMemoryException:
                raise DataError(
                    f"{self.key}.query needed more than data.memory_limit "
                    f"({self.memory_limit}) and was stopped; select fewer columns or rows, or "
                    "raise data.memory_limit"
                ) from None
            except duckdb.PermissionException:
                raise DataError(
                    f"{self.key}.query tried to read a file or URL; a query may only read the "
                    f"tables of the database in {self.key}.url"
                ) from None
            except duckdb.CatalogException as exc:
                what = f"{self.key}.table" if self.query is None else f"{self.key}.query"
                raise DataError(f"{self.label}: {what} names something the database does not "
                                f"have ({_first_line(exc)})") from None
            except duckdb.Error as exc:
                raise DataError(f"{self.key}.query failed: {_first_line(exc)}; fix the "
                                "query") from None
            finally:
                timer.cancel()
        finally:
            sandbox.close()

    def _check_duckdb_statement(self, sandbox) -> None:
        import duckdb

        try:
            statements = sandbox.extract_statements(self.query)
        except duckdb.Error as exc:
            raise DataError(f"{self.key}.query is not valid SQL: {_first_line(exc)}") from None
        if len(statements) != 1:
            raise DataError(f"{self.key}.query holds {len(statements)} statements; give exactly "
                            "one SELECT (or WITH … SELECT) statement, without ';' between others")
        kind = statements[0].type
        if kind != duckdb.StatementType.SELECT:
            raise DataError(f"{self.key}.query is not a SELECT (DuckDB reads it as {kind.name}); "
                            "only a read-only SELECT (or WITH … SELECT) is run")

    def _timeout_message(self) -> str:
        return (f"{self.key}.query did not finish within data.timeout ({self.timeout:g} s) and "
                "was stopped; aggregate or filter more in the query, or raise data.timeout")

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
                raise self._database_error(exc) from None
            try:
                if checks is not None:
                    self._keep_row_checks(spark.run(session, checks, self.timeout))
                return spark.run(session, statement, self.timeout)
            except TimeoutError:
                raise DataError(self._timeout_message()) from None
            except Exception as exc:  # noqa: BLE001
                raise self._database_error(exc) from None

    # --- other databases, through ibis -----------------------------------------------------

    def _connect(self):
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
                       "connect_timeout": max(1, min(30, round(self.timeout))),
                       "application_name": "valueproof"}
        try:
            return ibis.connect(self.url.resolved, **options)
        except ImportError:
            hint = extra or f"ibis-framework[{backend}]"
            raise DataError(f"{self.label}: the {backend} backend is not installed; install it "
                            f"with pip install '{hint}'") from None
        except ValueError as exc:
            if "Don't know how to connect" in str(exc):
                raise DataError(f"{self.label}: no query backend reads '{scheme}://' URLs; use "
                                "postgresql://, duckdb:///file.duckdb or another ibis backend's "
                                "URL") from None
            raise self._database_error(exc) from None
        except Exception as exc:  # noqa: BLE001 - each driver has its own exception types
            raise self._database_error(exc) from None

    def _read_ibis(self, backend, failed: list[Exception], query: str | None):
        """A reader of the record batches of the backend's aggregate (`pushdown`), or of one
        SELECT of the needed columns when their types keep the row path; an error met while
        they stream is kept in `failed` (DuckDB, which reads them, wraps it)."""
        import pyarrow as pa

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
                    found = (self._read_adbc(backend.compile(checks)) if adbc
                             else backend.to_pyarrow(checks))
                    self._keep_row_checks(found)
            table = self._selected(table)
            if adbc:
                return self._read_adbc(backend.compile(table))
            reader = backend.to_pyarrow_batches(table)
        except DataError:
            raise
        except Exception as exc:  # noqa: BLE001 - each driver has its own exception types
            raise self._database_error(exc) from None

        def batches():
            try:
                yield from reader
            except Exception as exc:
                failed.append(exc)
                raise

        return pa.RecordBatchReader.from_batches(reader.schema, batches())

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

    def _read_adbc(self, statement: str):
        """The rows of `statement` from PostgreSQL as Arrow, through the ADBC driver (COPY in
        binary; rows arrive several times faster than through ibis's fetch over psycopg)."""
        from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

        driver = _adbc_postgres()
        parts = urlsplit(self.url.resolved)
        settings = dict(parse_qsl(parts.query))
        settings.update(options=self._session_options(), application_name="valueproof",
                        connect_timeout=str(max(1, min(30, round(self.timeout)))))
        uri = urlunsplit(("postgresql", parts.netloc, parts.path,
                           urlencode(settings, quote_via=quote), ""))
        try:
            with driver.connect(uri) as connection, connection.cursor() as cursor:
                cursor.execute(statement)
                return cursor.fetch_arrow_table()
        except Exception as exc:  # noqa: BLE001 - the driver's own exception types
            raise self._database_error(exc) from None

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

    def _database_error(self, exc: Exception) -> DataError:
        """One message per kind of failure, with the URL and its secrets redacted."""
        state = getattr(exc, "sqlstate", None) or getattr(getattr(exc, "diag", None),
                                                          "sqlstate", None)
        if state is None and callable(getattr(exc, "getSqlState", None)):  # Spark
            with contextlib.suppress(Exception):
                state = exc.getSqlState()
        kind = type(exc).__name__
        text = _first_line(exc) if str(exc).strip() else kind
        where = self.label
        what = f"{self.key}.table" if self.query is None else f"{self.key}.query"
        if state == "28P01" or "password authentication failed" in text \
                or "no password supplied" in text:
            message = (f"{where}: the database refused the user name or password; check the "
                       "credentials (the password comes from the environment variable in "
                       f"{self.key}.url)")
        elif state == "3D000" or ("database" in text and "does not exist" in text):
            message = f"{where}: the database does not exist ({text}); check {self.key}.url"
        elif kind == "TableNotFound" or state == "42P01":
            named = f"'{self.table}'" if self.query is None else f"({text})"
            message = (f"{where}: {what} names a table the database does not have {named}; "
                       "check the table's name and schema")
        elif state == "42703":
            message = f"{where}: {what} names a column the table does not have ({text})"
        elif state == "57014" or "statement timeout" in text:
            message = self._timeout_message()
        elif state == "25006":
            message = (f"{where}: {self.key}.query tried to write ({text}); the session is "
                       "read-only, a definition may only read")
        elif state == "42501":
            message = (f"{where}: the database user may not read this ({text}); grant it "
                       "SELECT on the table")
        elif state and state.startswith("42"):
            message = f"{where}: {what} failed ({text}); fix the query"
        elif kind in ("OperationalError", "ConnectionTimeout", "ConnectionError") \
                or "connection" in text.lower() or "could not" in text.lower():
            message = (f"{where}: the database server could not be reached ({text}); check the "
                       f"host and port in {self.key}.url, and that the server is running")
        else:
            message = f"{where}: reading {what} failed ({kind}: {text})"
        return DataError(self.url.redact(message))


def _adbc_postgres():
    """The ADBC PostgreSQL driver's DB-API module, or None when it is not installed."""
    try:
        import adbc_driver_postgresql.dbapi as driver
    except ImportError:
        return None
    return driver


def check_select(query: str, dialect: str | None, key: str = "data.query") -> str:
    """`query` written out by sqlglot in `dialect`; DataError unless it is one read-only SELECT
    (WITH, UNION … allowed)."""
    import sqlglot
    from sqlglot import exp

    try:
        statements = [s for s in sqlglot.parse(query, read=dialect)
                      if s is not None and not isinstance(s, exp.Semicolon)]
    except sqlglot.errors.SqlglotError as exc:
        raise DataError(f"{key} is not valid SQL: {_first_line(exc)}") from None
    if len(statements) != 1:
        raise DataError(f"{key} holds {len(statements)} statements; give exactly one SELECT (or "
                        "WITH … SELECT) statement, without ';' between others")
    statement = statements[0]
    if not isinstance(statement, (exp.Select, exp.SetOperation)):
        name = statement.key.upper()
        if isinstance(statement, exp.Command):
            name = str(statement.this).upper()
        raise DataError(f"{key} is not a SELECT (it reads as {name}); only a read-only SELECT "
                        "(or WITH … SELECT) is run")
    writes = (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop, exp.Alter,
              exp.Command, exp.Copy, exp.Into, exp.TruncateTable, exp.Grant)
    for node in statement.walk():
        if isinstance(node, writes):
            raise DataError(f"{key} writes ({node.key.upper()} inside the SELECT); only a "
                            "read-only SELECT is run")
        if dialect in ("spark", "databricks", "hive") and isinstance(node, exp.Func) \
                and (node.name if isinstance(node, exp.Anonymous) else node.sql_name()
                     ).lower() in JAVA_CALLS:
            raise DataError(f"{key} calls Java ({node.sql(dialect=dialect)[:40]}); only a "
                            "read-only SELECT of tables is run")
    return statement.sql(dialect=dialect)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
