"""The definition's inputs: the data (a file or a database table, and how it is read), who got
the product (groups, or a rollout in waves) and the compared windows.

The roster, when units were active, is in `config.roster`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from valueproof.config.base import Strict, TableOfDatabase
from valueproof.config.limits import LABEL, FilePath
from valueproof.config.roster import ROSTER_DESCRIPTION, Roster
from valueproof.config.types import Time, TimePoint, as_time_point


class FileReading(Strict):
    """How a data file is read: the options shared by the main data and the adoption files."""

    sheet: str | None = Field(None, description="Worksheet of an .xlsx file (default: the first).")
    header_row: int | None = Field(
        None, ge=1, le=1000,
        description="Row (from 1) holding the column names, when title rows sit above (.csv, .xlsx).",
    )
    delimiter: str | None = Field(
        None, description="Field separator of a .csv file, e.g. ';' (default: detected)."
    )
    decimal: Literal[".", ","] = Field(
        ".", description="Decimal separator of numbers: '.' or ',' (Polish/German exports)."
    )
    encoding: str = Field(
        "utf-8", description="Text encoding of a .csv file: utf-8, utf-16, cp1250, windows-1252, ..."
    )
    date_format: str | None = Field(
        None, description="strptime format of text dates that are not YYYY-MM-DD, e.g. '%d/%m/%Y'."
    )

    @field_validator("delimiter")
    @classmethod
    def _one_character(cls, value: str | None) -> str | None:
        if value is not None and (len(value) != 1 or value in "\r\n\"" or value.isalnum()):
            raise ValueError(
                f"{value!r} is not a field separator; write one character, e.g. ';', ',' or '\\t' "
                "(a tab, in double quotes in YAML)"
            )
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        import codecs

        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(
                f"'{value}' is not a known text encoding; use e.g. utf-8, utf-16, cp1250 "
                "(Central European Excel), windows-1252 (Western European Excel) or latin-1"
            ) from None
        return value

    @field_validator("date_format")
    @classmethod
    def _usable_date_format(cls, value: str | None) -> str | None:
        if value is None:
            return value
        sample = dt.date(2026, 12, 31)
        try:
            ok = "%" in value and dt.datetime.strptime(sample.strftime(value), value).date() == sample
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(
                f"'{value}' is not a date format with day, month and year; write it with strptime "
                "codes, e.g. '%d/%m/%Y' for 31/12/2026 or '%m/%d/%Y' for 12/31/2026"
            )
        return value

    @model_validator(mode="after")
    def _separators_differ(self) -> FileReading:
        if self.delimiter is not None and self.delimiter == self.decimal:
            raise ValueError(
                f"'delimiter' and 'decimal' are both '{self.decimal}'; a file with decimal commas "
                "separates its fields with something else, usually ';'"
            )
        return self


class DataSource(FileReading, TableOfDatabase):
    path: FilePath | None = Field(None, description="Data file: .csv, .parquet, .xlsx or .json.")
    timeout: float = Field(300, gt=0, le=86_400,
                           description="Seconds a database query may run before it is stopped.")
    memory_limit: str = Field("4GB", description="Memory a SQL query may use, e.g. 4GB.")
    duplicates: Literal["check", "skip"] = Field(
        "check", description="Look for duplicate and conflicting rows over every column (check), "
                             "or not (skip: for a large database table without a primary key, "
                             "where the check is a second pass over every column).")
    timezone: str = Field(
        "UTC", description="Time zone in which a timestamp with a zone (2026-06-30T23:30:00+00:00, "
                           "a database's timestamptz) falls on its date, e.g. Europe/Warsaw; "
                           "timestamps without a zone are taken as written.")
    unit: str = Field(min_length=1, description="Column naming what was treated (clustering level).")
    time: str = Field(min_length=1, description="Column with the observation's date or period.")
    observation_name: str | None = Field(
        None, max_length=40,
        description="What one row is, as the report names it (e.g. 'ticket'); says what an "
                    "effect is per.")
    unit_name: str | None = Field(
        None, max_length=40, description="What one unit is, as the report names it (e.g. 'agent').")
    roster: Roster | None = Field(None, description=ROSTER_DESCRIPTION)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not a known time zone; use an IANA name such as UTC, "
                             "Europe/Warsaw or America/New_York") from None
        return value

    @field_validator("memory_limit")
    @classmethod
    def _memory(cls, value: str) -> str:
        if not re.fullmatch(r"\d+(\.\d+)?\s*(MB|GB|TB)", value.strip()):
            raise ValueError(f"'{value}' is not an amount of memory; write e.g. 512MB or 4GB")
        return value.strip()

    @model_validator(mode="before")
    @classmethod
    def _old_sql_key(cls, value: object) -> object:
        if isinstance(value, dict) and "sql" in value:
            raise ValueError("'sql' is no longer read: name the database with 'connection' (or "
                             "'url' for a DuckDB file) and the SELECT with 'query' (or a 'table'), "
                             "directly under data, e.g. data.connection: warehouse and "
                             "data.query: SELECT …")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> DataSource:
        self._file_or_database("a data file")
        return self


def megabytes(memory: str) -> float:
    """An amount of memory as `data.memory_limit` writes it (512MB, 4GB, 1.5TB) in megabytes."""
    found = re.fullmatch(r"\s*([\d.]+)\s*([MGT])B\s*", memory.upper())
    if not found:
        raise ValueError(f"'{memory}' is not an amount of memory; write e.g. 512MB or 4GB")
    return float(found.group(1)) * {"M": 1, "G": 1024, "T": 1024 ** 2}[found.group(2)]


def _as_labels(value: object) -> object:
    """Group values may be written as one value or a list; YAML may read them as numbers."""
    if value is None:
        return value
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, (dict, list)) or item is None:
            raise ValueError("expected a group value (text or number) or a list of them")
        out.append(str(item))
    return out


GroupValues = Annotated[list[str], BeforeValidator(_as_labels)]


class Groups(TableOfDatabase):
    column: str | None = Field(None, description="Column of the data holding the group.")
    file: FilePath | None = Field(None, description="CSV with two columns: unit, group.")
    treatment: GroupValues | None = Field(
        None, description="Group value(s) of units that got the product (not with a rollout in "
                          "waves, where the rollout dates say who got it).")
    control: GroupValues | None = Field(
        None, description="Group value(s) of comparison units; omit for a (weaker) pre/post study."
    )
    treatment_label: str | None = Field(
        None, max_length=LABEL,
        description="How the report names the treated units, e.g. 'Pilot agents'."
    )
    control_label: str | None = Field(
        None, max_length=LABEL,
        description="How the report names the comparison units, e.g. 'Standard agents'."
    )

    @property
    def labels_only(self) -> bool:
        return self.column is None and self.file is None and not self.from_database \
            and self.treatment is None and self.control is None

    @model_validator(mode="after")
    def _one_assignment(self) -> Groups:
        if self.labels_only:  # a rollout in waves: names for the report only
            return self
        self._one_table()
        if sum((self.column is not None, self.file is not None, self.from_database)) != 1:
            raise ValueError("give exactly one of 'column' (in the data), 'file' (unit, group) "
                             "or 'connection' with 'table' or 'query' (a database table: unit, "
                             "group)")
        if not self.treatment:
            raise ValueError("'treatment' needs at least one group value")
        overlap = set(self.treatment) & set(self.control or [])
        if overlap:
            raise ValueError(
                f"value(s) {sorted(overlap)} are listed as both treatment and control"
            )
        return self


class Waves(TableOfDatabase):
    """A rollout in waves: each unit's own first date (or period) with the product."""

    column: str | None = Field(
        None, description="Column of the data holding each unit's first date (or integer period) "
                          "with the product, the same on all its rows; empty: never treated.")
    file: FilePath | None = Field(
        None, description="CSV with two columns: unit, rollout (empty: never treated).")

    @model_validator(mode="after")
    def _one_source(self) -> Waves:
        self._one_table()
        if sum((self.column is not None, self.file is not None, self.from_database)) != 1:
            raise ValueError("give exactly one of 'column' (in the data), 'file' (unit, rollout) "
                             "or 'connection' with 'table' or 'query' (a database table: unit, "
                             "rollout)")
        return self


def _as_rollout(value: object) -> object:
    return value if isinstance(value, dict) else as_time_point(value)


#: `rollout`: one date (or integer period) for everyone, or the waves' source.
Rollout = Annotated[TimePoint | Waves, BeforeValidator(_as_rollout)]


class Window(Strict):
    start: Time
    end: Time

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if type(self.start) is not type(self.end):
            raise ValueError("'start' and 'end' must both be dates or both integer periods")
        if self.start > self.end:
            raise ValueError(f"'start' ({self.start}) is after 'end' ({self.end}), so the window "
                             "would end before it begins; 'start' is its first date (or period) "
                             "and 'end' its last: swap them or correct the dates")
        return self
