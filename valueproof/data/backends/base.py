"""The abstract `Source`: everything the data stage asks of where observations come from.

A source registers one DuckDB relation named `raw` (rows, or the cells a database aggregated; a
view, or a table for a small file read once) and says how its data are fingerprinted; the rest
has defaults for a backend that lacks it, so `load` asks every source the same questions and
never probes for a capability.
"""

from __future__ import annotations

import abc
import difflib

from valueproof.errors import DataError


class Source(abc.ABC):
    """One place observations (or a unit table) are read from, into the DuckDB view `raw`."""

    @property
    @abc.abstractmethod
    def label(self) -> str:
        """How messages name the source (a file's path, a connection's name)."""

    @abc.abstractmethod
    def register(self, con) -> None:
        """Create `raw` (a view or a temporary table) in `con`; raise DataError when it cannot
        be read."""

    @abc.abstractmethod
    def fingerprint(self) -> str:
        """A hash that changes whenever the data change."""

    @property
    def aggregated(self) -> bool:
        """`raw` holds cells the backend aggregated (`pushdown`), not rows (known once read)."""
        return False

    @property
    def projected(self) -> bool:
        """Only the columns the experiment reads arrive, so rows may repeat without being
        duplicates: the backend ran the duplicate-row checks itself (`row_checks`)."""
        return False

    @property
    def row_checks(self) -> dict | None:
        """rows, distinct (rows), keys, conflicts and example (a unit) of the backend's own
        duplicate checks over every column; None when not run."""
        return None

    @property
    def is_workbook(self) -> bool:
        """A spreadsheet workbook, whose cells may hold formulas never calculated."""
        return False

    def explain(self, exc: Exception) -> str | None:
        """The user's words for a DuckDB error met while reading all of `raw`, if known."""
        return None

    def missing_columns_hint(self, names: list[str]) -> str | None:
        """Why columns the definition names are missing, when the source shows it."""
        return None

    def explain_empty(self, columns: list[str]) -> str | None:
        """Why needed columns came back with no value at all, when the source shows it."""
        return None

    def require_columns(self, columns: dict[str, str], needed: dict[str, str]) -> None:
        """DataError naming the first of `needed` (column -> the definition key naming it)
        missing from `columns` (name -> type), with a close spelling or the source's hint."""
        for column, key in needed.items():
            if column not in columns:
                hint = difflib.get_close_matches(column, list(columns), n=1)
                fix = f"did you mean '{hint[0]}'?" if hint else f"columns are: {', '.join(columns)}"
                found = self.missing_columns_hint(
                    [data_column for data_column in needed if data_column not in columns]
                    or [column])
                raise DataError(f"{self.label}: column '{column}' (from {key}) not found; "
                                f"{found or fix}")
