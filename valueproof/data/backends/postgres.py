"""PostgreSQL through ibis, as a `Source`: a read-only session with `statement_timeout` from
`data.timeout`, the definition's time zone and memory to aggregate in; a role that is a
superuser or may run programs or read or write the server's files is refused before any
query; a statement past the client's clock is cancelled and its socket shut; and the rows come
through the ADBC driver (COPY in binary) when it is installed."""

from __future__ import annotations

import contextlib
import os

from valueproof.data.backends.db_errors import database_error
from valueproof.data.backends.ibis import GRACE, IbisSource
from valueproof.data.backends.watchdog import Watchdog
from valueproof.errors import DataError

# PostgreSQL roles that may run programs on the server or read or write its files
SERVER_ROLES = ("pg_execute_server_program", "pg_read_server_files", "pg_write_server_files")


class PostgresSource(IbisSource):
    """A table or query of a PostgreSQL database (`postgresql://` or `postgres://`)."""

    def _connect_options(self) -> dict:
        return {"options": self._session_options(),
                "connect_timeout": self._connect_timeout,
                "application_name": "valueproof"}

    def _connected(self, backend, watch: Watchdog) -> None:
        watch.on_timeout(lambda: _stop_psycopg(backend.con))
        watch.arm()
        self._check_role(backend)

    def _session_options(self) -> str:
        """PostgreSQL settings of every session: read-only, the statement timeout, the time
        zone in which a timestamp falls on its date, and memory to aggregate in (an eighth of
        data.memory_limit, so the GROUP BY hashes instead of sorting on disk)."""
        from valueproof.config.inputs import megabytes

        millis = max(1, round(self.timeout * 1000))
        work = max(4096, min(int(megabytes(self.memory_limit) * 1024 / 8), 2 * 1024 ** 2))
        return (f"-c default_transaction_read_only=on -c statement_timeout={millis} "
                f"-c TimeZone={self.timezone} -c work_mem={work}kB")

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

    def _query_schema(self, backend, query: str):
        """The query's columns and types, asked without creating anything (ibis would create a
        temporary view, which a read-only session refuses)."""
        con = getattr(backend, "con", None)
        if con is None:
            return None
        from ibis.backends.sql.datatypes import PostgresType

        with con.cursor() as cursor:
            cursor.execute(f"SELECT * FROM ({query}\n) AS valueproof_probe LIMIT 0")
            return {column.name: PostgresType.from_string(column.type_display)
                    for column in cursor.description}

    def _has_primary_key(self, backend) -> bool:
        """A data.table with a primary key on columns that are not KPI columns holds no
        duplicate rows and no rows that repeat their keys: the checks can be skipped."""
        if self.table is None:
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

    def _fetch_checks(self, backend, checks, watch: Watchdog):
        if _adbc_postgres() is None:
            return super()._fetch_checks(backend, checks, watch)
        return self._read_adbc(backend.compile(checks), watch)

    def _fetch_rows(self, backend, table, watch: Watchdog):
        if _adbc_postgres() is None:
            return super()._fetch_rows(backend, table, watch)
        return self._read_adbc(backend.compile(table), watch)

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
