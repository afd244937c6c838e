"""Which backend reads what a definition names, and everything the data and adoption stages
read, for the fingerprint.

Every source (`backends/`) registers one DuckDB relation named `raw` (a view, or a table of a
small file read once); the rest of the data stage
only ever queries `raw`, so a new source is one more backend and one more branch here.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from valueproof.data import pushdown
from valueproof.data.backends.base import Source
from valueproof.data.backends.csv import CsvDialect, CsvSource, check_lines
from valueproof.data.backends.duckdb_file import DuckDBFileSource
from valueproof.data.backends.files import FileSource, file_digest
from valueproof.data.backends.ibis import IbisSource
from valueproof.data.backends.postgres import PostgresSource
from valueproof.data.backends.spark import SparkSource
from valueproof.data.backends.workbook import EXCEL, WorkbookSource
from valueproof.data.sqltext import literal
from valueproof.errors import DataError


def file_source(path: Path, reading, text_columns: tuple[str | None, ...] = ()) -> FileSource:
    """The source of a data file read as `reading` says (the definition's `data` or an adoption
    file's section: sheet and CSV dialect), with `text_columns` kept as text (a sniffer would
    read IDs '007' as 7, groups T/F as booleans, and a rollout column of years as numbers until
    an 'NA' for a unit never treated)."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        dialect = CsvDialect(reading.delimiter, reading.decimal, reading.encoding,
                             reading.header_row)
        return CsvSource(path, dialect, tuple(c for c in text_columns if c))
    if suffix in EXCEL:
        return WorkbookSource(path, reading.sheet, reading.header_row)
    return FileSource(path)


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
        return table_source(experiment, data, "data", needed_columns(experiment),
                            plan=plan or pushdown.plan_for(experiment))
    rollout_column = getattr(experiment.rollout, "column", None)
    return file_source(experiment.resolve(data.path, "data.path"), data,
                       (data.unit, experiment.groups.column, rollout_column))


def donor_source(experiment, needed: dict[str, str] | None = None) -> Source:
    """The donor accounts' rows of `comparison.donors` (a file, or a database's rows with
    the `needed` columns: column -> key)."""
    donors = experiment.comparison.donors
    if donors.from_database:
        return table_source(experiment, donors, "comparison.donors", needed)
    path = experiment.resolve(donors.path, "comparison.donors.path")
    if not path.is_file():
        raise DataError(f"{path}: donor data file not found; check comparison.donors.path in "
                        "the definition")
    return file_source(path, donors, (donors.unit, donors.rollout))


def table_source(experiment, spec, key: str, needed: dict[str, str] | None = None,
                 view: str = "raw", plan=None) -> Source:
    """The database table of `spec` (the data, groups, rollout or an adoption source with
    `connection` or `url`, and `table` or `query`), read into the DuckDB view `view`, in the
    main data's sandbox (data.timeout, data.memory_limit, data.timezone); `needed` (column ->
    key) None: every column; `plan` (`pushdown.Plan`) the cells a database aggregates to (None:
    rows)."""
    data = experiment.data
    url, database = experiment.database(spec, key)
    settings = dict(url=url, table=spec.table, query=spec.query, needed=needed or {},
                    timeout=data.timeout, memory_limit=data.memory_limit, plan=plan,
                    timezone=data.timezone, view=view, key=key)
    if database is not None:
        return DuckDBFileSource(database=database, **settings)
    if url.scheme in ("spark", "sc"):
        return SparkSource(**settings)
    if url.scheme in ("postgresql", "postgres"):
        return PostgresSource(**settings)
    return IbisSource(**settings)


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
    or rollout file (or table), the roster, the adoption files (or tables) and the donors'."""
    digest = hashlib.sha256(source_for(experiment).fingerprint().encode())
    for key, name in (("groups.file", experiment.groups.file),
                      ("rollout.file", getattr(experiment.rollout, "file", None)),
                      *roster_file(experiment), *adoption_files(experiment),
                      *donor_file(experiment)):
        if name is not None:
            path = experiment.resolve(name, key)
            digest.update(file_digest(path).encode() if path.is_file() else b"missing")
    for key, spec, view in database_tables(experiment):
        digest.update(table_source(experiment, spec, key, view=view).fingerprint().encode())
    return digest.hexdigest()


def roster_file(experiment) -> list[tuple[str, Path]]:
    """("data.roster.path", path as written) of the roster file, if the definition gives one."""
    roster = experiment.data.roster
    return [("data.roster.path", roster.path)] if roster is not None and roster.path else []


def donor_file(experiment) -> list[tuple[str, Path]]:
    """("comparison.donors.path", path as written) of the donors' file, if the definition
    gives one."""
    donors = experiment.comparison.donors if experiment.comparison else None
    return [("comparison.donors.path", donors.path)] if donors and donors.path else []


def database_tables(experiment) -> list[tuple[str, object, str]]:
    """(key, spec, DuckDB view) of every groups, rollout, roster, adoption or donor table read
    from a database."""
    specs = [("groups", experiment.groups, "assignment_raw"),
             ("rollout", experiment.rollout, "rollouts_raw"),
             ("data.roster", experiment.data.roster, "roster_raw"),
             ("comparison.donors", experiment.comparison and experiment.comparison.donors, "raw")]
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
