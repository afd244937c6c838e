"""`comparison`: no control group inside the account, so the vendor's other accounts are the
donors of a synthetic difference-in-differences (their source, who is left out, the caps).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator, model_validator

from valueproof.config.base import Strict, TableOfDatabase
from valueproof.config.inputs import FileReading
from valueproof.config.limits import ITEMS, FilePath


class DonorSource(FileReading, TableOfDatabase):
    """The donor accounts' rows: a file or a database table, one row per observation (or per
    account and period), aggregated like the account's own rows."""

    path: FilePath | None = Field(None, description="Donor data file: .csv, .parquet, .xlsx or "
                                                    ".json.")
    unit: str = Field(min_length=1, description="Column naming the donor account.")
    time: str = Field(min_length=1, description="Column with the date or integer period, "
                                                "written like the account's data.time.")
    rollout: str | None = Field(
        None, min_length=1,
        description="Column with a donor's own first date (or period) with the product, the same "
                    "on all its rows; empty: never. A donor that got it on or before the end of "
                    "the post window is left out.")

    @model_validator(mode="after")
    def _one_source(self) -> DonorSource:
        self._file_or_database("a donor data file")
        return self


class Comparison(Strict):
    """The vendor's other accounts as the comparison (synthetic difference-in-differences)."""

    donors: DonorSource = Field(description="The donor accounts' data.")
    exclude: list[str] = Field(
        default_factory=list, max_length=10_000,
        description="Donor accounts to leave out, by their id in the unit column.")
    columns: dict[str, Annotated[str, Field(min_length=1)]] = Field(
        default_factory=dict, max_length=ITEMS,
        description="Column of the account's data -> column of the donor data holding the same "
                    "measure (default: the same name).")
    max_weight: float | None = Field(
        None, gt=0, le=1, description="Cap on the largest donor's weight, e.g. 0.25 (0 < x <= 1).")
    min_donors: int = Field(
        5, ge=2, le=100_000, description="Fewest donors kept for a KPI; fewer is an error.")

    @field_validator("exclude", mode="before")
    @classmethod
    def _ids_as_text(cls, value: object) -> object:
        if isinstance(value, list):
            return [str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
                    for v in value]
        return value

    def donor_column(self, column: str) -> str:
        """The donor data's column for the account data's `column`."""
        return self.columns.get(column, column)
