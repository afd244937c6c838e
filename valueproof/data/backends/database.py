"""What every database source shares: the table or query it reads, the needed columns, the
push-down of the cells (`pushdown`), the rows' digest, and the rows' landing in DuckDB.

The definition is untrusted: it names a connection the operator keeps (config.connections),
never a host or a secret, and every database is read in a sandbox:

* one statement only, and it must be a SELECT (or WITH … SELECT, or a set operation of
  SELECTs) that calls only allowlisted functions (`guard.py`, sqlglot in the backend's
  dialect; DuckDB's own parser also decides for DuckDB files); a statement that writes
  anywhere inside it is refused;
* DuckDB database files are attached read-only in a locked-down session (`duckdb_file.py`);
* PostgreSQL sessions are read-only with a statement timeout, under a role that cannot touch
  the server's files or programs, and the client's own clock stops them (`postgres.py`);
* Spark has no read-only session: one checked SELECT, no SQL on files, and jobs cancelled
  after `data.timeout` (`spark.py`);
* other backends are reached through ibis (`ibis.py`) with the extra they need.

Only the columns the experiment reads are asked for, or, when their types allow, the cells of
the unit × period aggregate the backend runs itself (`pushdown`); the result comes back as
Arrow and becomes the table behind the DuckDB view `raw` (or the view a unit table names).

Only the connection's name (or the DuckDB file's redacted URL) is ever shown.
"""

from __future__ import annotations

import abc
import hashlib
import secrets
from dataclasses import dataclass, field

from valueproof.config.connections import DatabaseUrl
from valueproof.data import pushdown
from valueproof.data.backends.base import Source
from valueproof.data.backends.guard import check_select

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


@dataclass(frozen=True)
class DatabaseSource(Source):
    """`data.table` or `data.query` of a database; `needed` maps each column the experiment
    reads to the definition key that names it. Each backend says how it reads (`_read`)."""

    url: DatabaseUrl
    table: str | None
    query: str | None
    needed: dict[str, str]
    timeout: float = 300.0  # seconds
    memory_limit: str = "4GB"
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
    def row_checks(self) -> dict | None:
        """rows, distinct (rows), keys, conflicts and example (a unit) of the backend's
        duplicate checks over every column of the table or query; None when not run."""
        return self.state.get("row_checks")

    @property
    def _asked(self) -> str:
        return "\x00".join((self.url.label, self.url.shown, self.table or "", self.query or "", self.key,
                            self.view, self.timezone))

    @abc.abstractmethod
    def _read(self):
        """The needed columns' rows (or the plan's cells) as Arrow."""

    def register(self, con) -> None:
        rows = f"{self.view}_rows"
        self._store(con, self._read(), rows)
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
        """A hash of what was asked (URL redacted) and of the rows read in this process."""
        return hashlib.sha256(f"{self._asked}\x00{self._rows_fingerprint()}".encode()).hexdigest()

    def _rows_fingerprint(self) -> str:
        """The digest of the rows read in this process; before they are read, one that matches
        nothing, so a batch run never takes a database's results as up to date."""
        return _READ.get(self._asked) or f"not read yet {secrets.token_hex(16)}"

    def timeout_message(self) -> str:
        return (f"{self.label}: {self.what} did not finish within data.timeout "
                f"({self.timeout:g} s) and was stopped; aggregate or filter more in the query, "
                "or raise data.timeout")

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
        if not self.needed:  # a small table read whole (groups, rollout)
            return found
        self.require_columns(dict.fromkeys(found, ""), self.needed)
        return [c for c in found if c in self.needed]

    def _keep_row_checks(self, found, names: list[str] | None = None) -> None:
        """The backend's `pushdown.row_checks`, for `load`: an Arrow table of one row (or
        DuckDB's rows and their column `names`)."""
        self.state["row_checks"] = (dict(zip(names, found[0])) if names is not None
                                    else found.to_pylist()[0])

    def _selected(self, table):
        """What is asked of `table` (an ibis table): the plan's aggregate, or the needed
        columns."""
        table = table.select(*self._columns(list(table.columns)))
        cells = pushdown.expression(table, self.plan) if self.plan is not None else None
        self.state["aggregated"] = cells is not None
        return table if cells is None else cells
