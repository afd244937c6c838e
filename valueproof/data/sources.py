"""Where observations come from. Every source registers one DuckDB view named `raw`.

The rest of the data stage only ever queries `raw`, so a new source (another database, an API
export) is one more class here and nothing else changes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from valueproof.data.csvread import (
    CsvDialect,
    check_lines,
    explain_csv_error,
    find_header_row,
    register_csv,
)
from valueproof.data.sqltext import literal
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
    dialect: CsvDialect = field(default_factory=CsvDialect)
    text_columns: tuple[str, ...] = ()  # kept as text: unit IDs such as '007'

    @classmethod
    def for_data(cls, path: Path, experiment) -> FileSource:
        """The source of a definition's data file: its sheet and CSV dialect, with the unit,
        group and rollout columns kept as text (a sniffer would read IDs '007' as 7, groups T/F
        as booleans, and a rollout column of years as numbers until an 'NA' for a unit never
        treated)."""
        data, groups = experiment.data, experiment.groups
        dialect = CsvDialect(data.delimiter, data.decimal, data.encoding, data.header_row)
        rollout_column = getattr(experiment.rollout, "column", None)
        text = tuple(c for c in (data.unit, groups.column, rollout_column) if c)
        return cls(path, data.sheet, dialect, text)

    @property
    def label(self) -> str:
        return str(self.path)

    @property
    def is_csv(self) -> bool:
        return self.path.suffix.lower() in (".csv", ".tsv")

    @property
    def is_workbook(self) -> bool:
        return self.path.suffix.lower() in EXCEL

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
        if self.is_csv:
            register_csv(con, path, self.dialect, self.text_columns)
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

    def explain(self, exc: Exception) -> str | None:
        """A DuckDB error met while scanning the whole file (e.g. a bad byte on line 50,000)."""
        import duckdb

        if not (self.is_csv and isinstance(exc, duckdb.InvalidInputException)):
            return None
        return explain_csv_error(self.path, self.dialect, exc)

    def _read_excel(self):
        import pandas as pd

        header = (self.dialect.header_row or 1) - 1
        try:
            return pd.read_excel(self.path, sheet_name=self.sheet or 0, engine="openpyxl",
                                 header=header)
        except ValueError as exc:  # unknown sheet
            raise DataError(f"{self.path}: {exc}; check data.sheet") from None
        except Exception as exc:  # openpyxl raises many types for a file that is not xlsx
            raise DataError(
                f"{self.path}: could not be read as XLSX ({type(exc).__name__}); "
                "check that the file really is an Excel workbook"
            ) from None

    def _sheet_rows(self, sheet: str | int, rows: int) -> list[list[str]]:
        """The first `rows` rows of a worksheet as stripped text, for hints."""
        import pandas as pd

        frame = pd.read_excel(self.path, sheet_name=sheet, engine="openpyxl", header=None,
                              nrows=rows)
        return [[str(v).strip() for v in row if not pd.isna(v)] for row in frame.itertuples(index=False)]

    def missing_columns_hint(self, names: list[str]) -> str | None:
        """Why columns the definition names are missing, when the file shows it: the header is
        further down (title rows above it), or the columns are on another worksheet."""
        if self.is_csv:
            row = find_header_row(self.path, self.dialect, names)
            return _header_row_hint(row) if row else None
        if self.path.suffix.lower() not in EXCEL:
            return None
        import openpyxl

        workbook = openpyxl.load_workbook(self.path, read_only=True)
        sheets = list(workbook.sheetnames)
        workbook.close()
        current = self.sheet or sheets[0]
        for sheet in [current] + [s for s in sheets if s != current]:
            for number, cells in enumerate(self._sheet_rows(sheet, 30), start=1):
                if all(name in cells for name in names):
                    if sheet != current:
                        return f"they are on worksheet '{sheet}': set data.sheet: {sheet}"
                    if number != (self.dialect.header_row or 1):
                        return _header_row_hint(number)
        if len(sheets) > 1:
            return (f"worksheet '{current}' was read; the workbook's sheets are "
                    f"{', '.join(repr(s) for s in sheets)}: set data.sheet to the one with the "
                    "observations")
        return None

    def explain_empty(self, columns: list[str]) -> str | None:
        """Why columns came back with no values: formulas saved without their results."""
        if self.path.suffix.lower() not in EXCEL:
            return None
        import openpyxl

        workbook = openpyxl.load_workbook(self.path, read_only=True, data_only=False)
        try:
            sheet = workbook[self.sheet] if self.sheet else workbook.worksheets[0]
            header_row = self.dialect.header_row or 1
            rows = sheet.iter_rows(min_row=header_row, max_row=header_row + 5, values_only=True)
            header = [str(v).strip() if v is not None else "" for v in next(rows, ())]
            formulas = [
                name for name in columns if name in header and any(
                    isinstance(row[header.index(name)], str) and row[header.index(name)].startswith("=")
                    for row in rows if len(row) > header.index(name))
            ]
        finally:
            workbook.close()
        if not formulas:
            return None
        return (f"column(s) {', '.join(repr(c) for c in formulas)} hold formulas whose results were "
                "never calculated (the workbook was written by a program, not saved by Excel); open "
                "it in Excel and save it, or export the values (Paste Special → Values) instead")

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        with self.path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()


def _header_row_hint(row: int) -> str:
    return (f"the column names seem to be in row {row} (with title rows above them): set "
            f"data.header_row: {row}")


def needed_columns(experiment) -> dict[str, str]:
    """Every column of the data the experiment reads → the definition key naming it."""
    data, groups = experiment.data, experiment.groups
    needed = {data.unit: "data.unit", data.time: "data.time"}
    if groups.column:
        needed[groups.column] = "groups.column"
    if experiment.staggered and experiment.rollout.column:
        needed[experiment.rollout.column] = "rollout.column"
    for i, kpi in enumerate(experiment.kpis):
        for name in kpi.columns:
            needed.setdefault(name, f"kpis[{i}] '{kpi.id}'")
    return needed


def source_for(experiment, plan=None) -> Source:
    """The experiment's source; a database's aggregates its rows to the cells of `plan`
    (`pushdown.Plan`, by default the definition's)."""
    data = experiment.data
    if data.from_database:
        from valueproof.data import pushdown

        return table_source(experiment, data, "data", needed_columns(experiment),
                            plan=plan or pushdown.plan_for(experiment))
    return FileSource.for_data(experiment.resolve(data.path, "data.path"), experiment)


def table_source(experiment, spec, key: str, needed: dict[str, str] | None = None,
                 view: str = "raw", plan=None):
    """The database table of `spec` (the data, groups, rollout or an adoption source with
    `connection` or `url`, and `table` or `query`), read into the DuckDB view `view`, in the
    main data's sandbox (data.timeout, data.memory_limit, data.timezone); `needed` (column ->
    key) None: every column; `plan` (`pushdown.Plan`) the cells a database aggregates to (None:
    rows)."""
    from valueproof.data.sql import DatabaseSource

    data = experiment.data
    url, database = experiment.database(spec, key)
    return DatabaseSource(url, spec.table, spec.query, needed or {}, data.timeout,
                          data.memory_limit, database, plan, data.timezone, view=view, key=key)


def register_unit_table(con, experiment, key: str, what: str, view: str):
    """The unit table of `key` (groups: unit, group; rollout: unit, rollout) as the DuckDB view
    `view`: a CSV file (`key.file`, read as text) or a database table (`key.connection` or
    `key.url`). Returns how messages name it (the file's path, or the database's name)."""
    import duckdb

    spec = getattr(experiment, key)
    if spec.from_database:  # a table of a database: its first two columns
        source = table_source(experiment, spec, key, view=view)
        source.register(con)
        return source.label
    path = experiment.resolve(spec.file, f"{key}.file")
    if not path.exists():
        raise DataError(f"{path}: {what} file not found; check {key}.file")
    check_lines(path, path, CsvDialect(), every_line=True)  # a 10 MB line is named as such
    try:
        con.execute(f"CREATE TEMP VIEW {view} AS SELECT * FROM "
                    f"read_csv({literal(str(path))}, all_varchar=true)")
    except duckdb.Error as exc:
        raise DataError(f"{path}: could not be read as CSV ({str(exc).splitlines()[0]}); save "
                        f"the {what} file as comma-separated UTF-8 text with a header row "
                        f"unit,{what}") from None
    return path


def data_fingerprint(experiment) -> str:
    """SHA-256 over everything the data and adoption stages read: the observations, the group
    or rollout file (or table), the roster, and the adoption files (or tables)."""
    digest = hashlib.sha256(source_for(experiment).fingerprint().encode())
    for key, name in (("groups.file", experiment.groups.file),
                      ("rollout.file", getattr(experiment.rollout, "file", None)),
                      *roster_file(experiment), *adoption_files(experiment)):
        if name is not None:
            path = experiment.resolve(name, key)
            digest.update(FileSource(path).fingerprint().encode() if path.is_file() else b"missing")
    for key, spec, view in database_tables(experiment):
        digest.update(table_source(experiment, spec, key, view=view).fingerprint().encode())
    return digest.hexdigest()


def roster_file(experiment) -> list[tuple[str, Path]]:
    """("data.roster.path", path as written) of the roster file, if the definition gives one."""
    roster = experiment.data.roster
    return [("data.roster.path", roster.path)] if roster is not None and roster.path else []


def database_tables(experiment) -> list[tuple[str, object, str]]:
    """(key, spec, DuckDB view) of every groups, rollout, roster or adoption table read from a
    database."""
    specs = [("groups", experiment.groups, "assignment_raw"),
             ("rollout", experiment.rollout, "rollouts_raw"),
             ("data.roster", experiment.data.roster, "roster_raw")]
    specs += [(f"adoption.{name}", spec, "raw") for name, spec in _adoption_specs(experiment)]
    return [(key, spec, view) for key, spec, view in specs
            if getattr(spec, "from_database", False)]


def _adoption_specs(experiment) -> list[tuple[str, object]]:
    """(name, spec) of every adoption source the definition gives."""
    adoption = experiment.adoption
    if adoption is None:
        return []
    specs = [(name, getattr(adoption, name))
             for name in ("usage", "training", "nps", "tickets", "licences")]
    return [(name, spec) for name, spec in specs if spec is not None]


def adoption_files(experiment) -> list[tuple[str, Path]]:
    """(key, path as written) of every adoption file of the definition."""
    return [(f"adoption.{name}.path", spec.path) for name, spec in _adoption_specs(experiment)
            if spec.path is not None]
