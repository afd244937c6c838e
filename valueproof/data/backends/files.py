"""Data files DuckDB reads in place (Parquet, JSON), and what every file source shares: the
checks before reading, the label and the fingerprint (a hash of the file's bytes).

CSV files (`csv`) and Excel workbooks (`workbook`) are file sources with readers of their own.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from valueproof.data.backends.base import Source
from valueproof.data.sqltext import literal
from valueproof.errors import DataError

READERS = {
    ".parquet": "read_parquet",
    ".json": "read_json_auto",
    ".jsonl": "read_json_auto",
    ".ndjson": "read_json_auto",
}


SMALL_FILE_BYTES = 64 << 20  # a file up to this size is read once into a table


def raw_kind(path: Path) -> str:
    """How `raw` holds a file: a small one is read once into a table (a view would have every
    statement of the data stage parse the file again); a large one stays a view, streamed."""
    return "TEMP TABLE" if path.stat().st_size <= SMALL_FILE_BYTES else "VIEW"


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class FileSource(Source):
    """A data file, read by DuckDB's reader for its extension (Parquet, JSON)."""

    path: Path

    @property
    def label(self) -> str:
        return str(self.path)

    def register(self, con) -> None:
        path = self.path
        if not path.exists():
            raise DataError(f"{path}: data file not found; check data.path in the definition")
        if path.is_dir():
            raise DataError(f"{path}: is a folder; data.path must name a file")
        if path.stat().st_size == 0:
            raise DataError(f"{path}: the data file is empty; export the observations again")
        self._create_raw(con)

    def _create_raw(self, con) -> None:
        """`raw` from the file, which exists and is not empty (`raw_kind`)."""
        import duckdb

        path, suffix = self.path, self.path.suffix.lower()
        reader = READERS.get(suffix)
        if reader is None:
            raise DataError(
                f"{path}: unsupported file type '{suffix}'; use .csv, .parquet, .xlsx or .json"
            )
        try:
            con.execute(f"CREATE {raw_kind(path)} raw AS SELECT * FROM {reader}({literal(str(path))})")
            con.execute("SELECT * FROM raw LIMIT 1").fetchall()
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0]
            raise DataError(
                f"{path}: could not be read as {suffix[1:].upper()} ({first}); "
                "check that the file really is what its extension says"
            ) from None

    def fingerprint(self) -> str:
        return file_digest(self.path)


def header_row_hint(row: int) -> str:
    """The fix for column names found further down (title rows above them)."""
    return (f"the column names seem to be in row {row} (with title rows above them): set "
            f"data.header_row: {row}")
