"""Where observations come from. Every source registers one DuckDB view named `raw`.

The rest of the data stage only ever queries `raw`, so a new source (another database, an API
export) is one more class here and nothing else changes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from valueproof.errors import DataError

READERS = {
    ".csv": "read_csv",
    ".tsv": "read_csv",
    ".parquet": "read_parquet",
    ".json": "read_json_auto",
    ".jsonl": "read_json_auto",
    ".ndjson": "read_json_auto",
}
EXCEL = {".xlsx"}


def quote(identifier: str) -> str:
    """A DuckDB identifier, quoted so any column name is safe in SQL."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class Source(Protocol):
    label: str

    def register(self, con) -> None:
        """Create the view `raw` in `con`; raise DataError when it cannot be read."""

    def fingerprint(self) -> str:
        """A hash that changes whenever the data change."""


@dataclass(frozen=True)
class FileSource:
    path: Path
    sheet: str | None = None

    @property
    def label(self) -> str:
        return str(self.path)

    def register(self, con) -> None:
        import duckdb

        path, suffix = self.path, self.path.suffix.lower()
        if not path.exists():
            raise DataError(f"{path}: data file not found; check data.path in the definition")
        if path.is_dir():
            raise DataError(f"{path}: is a folder; data.path must name a file")
        if path.stat().st_size == 0:
            raise DataError(f"{path}: the data file is empty; export the observations again")
        if suffix in EXCEL:
            con.register("raw_frame", self._read_excel())
            con.execute("CREATE VIEW raw AS SELECT * FROM raw_frame")
            return
        reader = READERS.get(suffix)
        if reader is None:
            raise DataError(
                f"{path}: unsupported file type '{suffix}'; use .csv, .parquet, .xlsx or .json"
            )
        try:
            con.execute(f"CREATE VIEW raw AS SELECT * FROM {reader}({literal(str(path))})")
            con.execute("SELECT * FROM raw LIMIT 1").fetchall()
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0]
            raise DataError(
                f"{path}: could not be read as {suffix[1:].upper()} ({first}); "
                "check that the file really is what its extension says"
            ) from None

    def _read_excel(self):
        import pandas as pd

        try:
            return pd.read_excel(self.path, sheet_name=self.sheet or 0, engine="openpyxl")
        except ValueError as exc:  # unknown sheet
            raise DataError(f"{self.path}: {exc}; check data.sheet") from None
        except Exception as exc:  # openpyxl raises many types for a file that is not xlsx
            raise DataError(
                f"{self.path}: could not be read as XLSX ({type(exc).__name__}); "
                "check that the file really is an Excel workbook"
            ) from None

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        with self.path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()


def source_for(experiment) -> Source:
    data = experiment.data
    if data.sql is not None:
        from valueproof.data.sql import SqlSource

        return SqlSource(data.sql.url, data.sql.query, experiment.base_dir)
    return FileSource(experiment.resolve(data.path, "data.path"), data.sheet)


def data_fingerprint(experiment) -> str:
    """SHA-256 over everything the data stage reads: the observations and the group file."""
    digest = hashlib.sha256(source_for(experiment).fingerprint().encode())
    if experiment.groups.file is not None:
        path = experiment.resolve(experiment.groups.file, "groups.file")
        digest.update(FileSource(path).fingerprint().encode() if path.is_file() else b"missing")
    return digest.hexdigest()
