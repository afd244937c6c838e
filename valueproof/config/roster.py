"""`data.roster`: when each unit was active, for units that joined or left (an agent who quit).

Counts and sums are read on a full grid: every unit of the assignment on every period of the
compared windows, zero where it has no row. A roster limits a unit to its active dates; outside
them it is absent, not zero.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from valueproof.config.base import TableOfDatabase
from valueproof.config.limits import FilePath


class Roster(TableOfDatabase):
    """A CSV (`path`) or a database table (`connection` or `url`, with `table` or `query`) with
    columns unit, start, end: the first and last date (or integer period) each unit was active,
    inclusive; an empty start or end: active since before (or still active after) the data. A
    unit may have several lines (left and came back); units not listed are active throughout."""

    path: FilePath | None = Field(
        None, description="CSV with columns unit, start, end (dates YYYY-MM-DD, or integer "
                          "periods like the data's; empty end: still active).")

    @model_validator(mode="after")
    def _one_source(self) -> Roster:
        self._one_table()
        if (self.path is None) == (not self.from_database):
            raise ValueError("give exactly one of 'path' (a CSV file with columns unit, start, "
                             "end) or 'connection' with 'table' or 'query' (a database table "
                             "with those columns; or 'url' for a DuckDB file)")
        return self


ROSTER_DESCRIPTION = (
    "When units were active, for units that joined or left: a CSV (path) or a database table "
    "(connection or url, with table or query) with columns unit, start, end (inclusive; empty "
    "start or end: open). Counts and sums put every unit on every period of the compared windows "
    "(zero where it has no row); a listed unit only within its dates, absent outside them. Units "
    "not listed are active throughout.")
