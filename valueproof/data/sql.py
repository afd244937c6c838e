"""A read-only SQL query against a DuckDB database file, as a `Source`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from valueproof.data.sources import FileSource, literal
from valueproof.errors import DataError


@dataclass(frozen=True)
class SqlSource:
    """A query against a DuckDB database file (`duckdb:///path` or a plain path)."""

    url: str
    query: str
    base_dir: Path

    @property
    def label(self) -> str:
        return self.url

    def _database(self) -> Path:
        location = self.url.removeprefix("duckdb:///").removeprefix("duckdb://")
        if "://" in location:
            raise DataError(
                f"data.sql.url '{self.url}': only DuckDB database files are supported "
                "(duckdb:///path/to/file.duckdb)"
            )
        path = Path(location)
        return path if path.is_absolute() else self.base_dir / path

    def register(self, con) -> None:
        import duckdb

        database = self._database()
        if not database.exists():
            raise DataError(f"{database}: database file not found; check data.sql.url")
        try:
            con.execute(f"ATTACH {literal(str(database))} AS source (READ_ONLY)")
            con.execute("USE source")
            con.execute(f"CREATE TEMP VIEW raw AS {self.query}")
            con.execute("SELECT * FROM raw LIMIT 1").fetchall()
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0]
            raise DataError(f"data.sql.query failed: {first}; fix the query") from None

    def fingerprint(self) -> str:
        digest = hashlib.sha256(self.query.encode())
        digest.update(FileSource(self._database()).fingerprint().encode())
        return digest.hexdigest()
