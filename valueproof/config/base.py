"""The bases of the definition's sections: strict models, and a table read from a database."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from valueproof.config.connections import definition_database
from valueproof.config.limits import TEXT


class Strict(BaseModel):
    """Base for every section: unknown keys are errors, values are checked on assignment too."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_max_length=TEXT)


class TableOfDatabase(Strict):
    """A table read from a database instead of a file (the data, groups, rollout, an adoption
    source): `connection` (named by the operator in connections.yaml) or `url` (a DuckDB file in
    the definition's folder), with `table` or `query`; one sandbox, data.timeout,
    data.memory_limit and data.timezone for all."""

    connection: str | None = Field(
        None, min_length=1, max_length=64,
        description="A database the person running valueproof named in connections.yaml.")
    url: str | None = Field(
        None, min_length=1, max_length=1000,
        description="A DuckDB file instead: duckdb:///file.duckdb, relative to the definition's "
                    "folder (other databases are named connections).")
    table: str | None = Field(None, min_length=1, max_length=300,
                              description="Table (or schema.table) of the database to read.")
    query: str | None = Field(None, min_length=1, max_length=100_000,
                              description="One SELECT against the database.")

    @field_validator("url")
    @classmethod
    def _duckdb_file(cls, value: str | None) -> str | None:
        if value is not None:
            definition_database(value)
        return value

    @property
    def from_database(self) -> bool:
        return self.url is not None or self.connection is not None

    def _file_or_database(self, file: str) -> None:
        """Exactly one source: `path` (`file` says what kind) or a database, with one table or
        query (for the models that also have a `path`)."""
        if (self.path is None) == (not self.from_database):
            raise ValueError(f"give exactly one of 'path' ({file}) or 'connection' (a database the "
                             "operator named in connections.yaml; or 'url' for a DuckDB file), "
                             "with 'table' or 'query'")
        self._one_table()

    def _one_table(self) -> None:
        if self.url is not None and self.connection is not None:
            raise ValueError("give 'connection' (a named database) or 'url' (a DuckDB file), not "
                             "both")
        if not self.from_database and (self.table is not None or self.query is not None):
            raise ValueError("'table' and 'query' read a database: give its 'connection' (or "
                             "'url' for a DuckDB file) too")
        if self.from_database and (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of 'table' (a table of the database) or 'query' "
                             "(one SELECT against it)")
