"""`adoption` and `health`: the usage, training, NPS and support data beside the experiment,
the seats bought, and the weights and thresholds of the health score.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field, model_validator

from valueproof.config.base import Strict, TableOfDatabase
from valueproof.config.inputs import FileReading
from valueproof.config.limits import LABEL, FilePath
from valueproof.config.types import Date, LocatedError


class AdoptionFile(FileReading, TableOfDatabase):
    """A file of the adoption data, read like the main data (any format it accepts), or a
    table of a database (`connection` with `table` or `query`)."""

    path: FilePath | None = Field(None, description="Data file: .csv, .parquet, .xlsx or .json.")

    @model_validator(mode="after")
    def _file_or_table(self) -> AdoptionFile:
        self._one_table()
        if (self.path is None) == (not self.from_database):
            raise ValueError("give exactly one of 'path' (a file) or 'connection' with 'table' "
                             "or 'query' (a database table)")
        return self


class UsageData(AdoptionFile):
    user: str = Field(min_length=1, description="Column naming the user.")
    time: str = Field(min_length=1, description="Column with the date (or date and time) of use.")
    feature: str | None = Field(None, description="Column naming the feature used.")


class TrainingData(AdoptionFile):
    user: str = Field(min_length=1, description="Column naming the user.")
    completed: str = Field(min_length=1, description="Column with the date the user completed "
                                                     "the training (empty: not yet).")


class NpsData(AdoptionFile):
    score: str = Field(min_length=1, description="Column with the 0-10 answer.")
    time: str = Field(min_length=1, description="Column with the date of the answer.")


class TicketData(AdoptionFile):
    opened: str = Field(min_length=1, description="Column with the date (and time) opened.")
    resolved: str = Field(min_length=1, description="Column with the date (and time) resolved "
                                                    "(empty: still open).")
    priority: str | None = Field(None, description="Column with the ticket's priority.")


def _as_licences(value: object) -> object:
    """`licences: 120` is a seat count; a mapping names a seat column or a licence list."""
    if isinstance(value, bool) or not isinstance(value, (int, dict)):
        raise ValueError("expected the seats bought (a number such as 120), {column: NAME} (a "
                         "column of the usage data) or {path: FILE, user: COLUMN} (a licence list)")
    return {"count": value} if isinstance(value, int) else value


class Licences(FileReading, TableOfDatabase):
    """Seats bought: a number, a column of the usage data, or a list of licensed users (a file,
    or a table of a database)."""

    count: int | None = Field(None, ge=1, le=10_000_000, description="Seats bought.")
    column: str | None = Field(None, min_length=1, description="Column of the usage data with "
                                                               "the seats bought on that date.")
    path: FilePath | None = Field(None, description="Licence list: one row per licensed user.")
    user: str | None = Field(None, min_length=1,
                             description="Licence list: column naming the user.")

    @model_validator(mode="after")
    def _one_kind(self) -> Licences:
        self._one_table()
        if sum((self.count is not None, self.column is not None, self.path is not None,
                self.from_database)) != 1:
            raise ValueError("give the seats as a number, or {column: NAME}, or a licence list "
                             "{path: FILE, user: COLUMN} (or {connection:, table:, user:}) — one "
                             "of them")
        if self.listed != (self.user is not None):
            raise ValueError("a licence list needs both 'path' (the file) or 'connection' (a table) "
                             "and 'user' (its column)")
        return self

    @property
    def listed(self) -> bool:
        """Seats are a list of licensed users (a file or a table)."""
        return self.path is not None or self.from_database


class Feature(Strict):
    id: Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, (int, float)) else v)] \
        = Field(min_length=1, description="A value of the usage data's feature column.")
    label: str | None = Field(None, max_length=LABEL,
                              description="Name shown to the customer (default: id).")

    @property
    def display_label(self) -> str:
        return self.label or self.id


class Adoption(Strict):
    """Adoption, training, support and NPS data beside the experiment (all optional)."""

    licences: Annotated[Licences, BeforeValidator(
        _as_licences, json_schema_input_type=int | Licences)] | None = Field(
        None, description="Seats bought: a number, {column: NAME} on the usage data, or a "
                          "licence list {path: FILE, user: COLUMN}.")
    usage: UsageData | None = Field(None, description="One row per user action or user-day.")
    features: list[Feature] = Field(default_factory=list,
                                    description="Values of the feature column worth showing.")
    training: TrainingData | None = None
    nps: NpsData | None = None
    tickets: TicketData | None = None
    onboarded_on: Date | None = Field(None, description="Start of the first-90-days view.")

    @model_validator(mode="after")
    def _usage_for_usage_keys(self) -> Adoption:
        if self.usage is None:
            for key, needs in (("features", self.features),
                               ("licences", self.licences and self.licences.column),
                               ("onboarded_on", self.onboarded_on)):
                if needs:
                    raise LocatedError((key,), f"'{key}' needs 'usage' (the usage data)")
        elif self.features and self.usage.feature is None:
            raise LocatedError(("usage", "feature"), "'features' needs the feature column: "
                               "add 'feature: COLUMN' to usage")
        ids = [f.id for f in self.features]
        for i, feature_id in enumerate(ids):
            if feature_id in ids[:i]:
                raise LocatedError(("features", i, "id"), f"feature '{feature_id}' is listed twice")
        return self


class HealthWeights(Strict):
    """Weight of each component in the health score; a component left out weighs nothing."""

    usage: float | None = Field(None, ge=0, le=1000, description="Utilisation of licences.")
    training: float | None = Field(None, ge=0, le=1000, description="Training completion.")
    support: float | None = Field(None, ge=0, le=1000,
                                  description="Tickets resolved within 72 hours.")
    nps: float | None = Field(None, ge=0, le=1000, description="Net Promoter Score.")

    @model_validator(mode="after")
    def _some_weight(self) -> HealthWeights:
        if not any(self.model_dump().values()):
            raise ValueError("give at least one component a weight above 0, e.g. usage: 0.4")
        return self


class HealthThresholds(Strict):
    green: float = Field(70, ge=0, le=100, description="Score from which the status is green.")
    amber: float = Field(50, ge=0, le=100, description="Score from which the status is amber.")

    @model_validator(mode="after")
    def _ordered(self) -> HealthThresholds:
        if self.amber >= self.green:
            raise ValueError(f"'amber' ({self.amber:g}) must be below 'green' ({self.green:g})")
        return self


class Health(Strict):
    components: HealthWeights = Field(
        default_factory=lambda: HealthWeights(usage=0.4, training=0.2, support=0.2, nps=0.2),
        description="Weights (default usage 0.4, training 0.2, support 0.2, nps 0.2).")
    thresholds: HealthThresholds = Field(default_factory=HealthThresholds)
