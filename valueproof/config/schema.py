"""The experiment definition (v1): typed models validated by pydantic.

Every model forbids unknown keys, so a misspelt key is an error rather than a silently ignored
setting. Cross-field rules (KPI references, window order) live in validators here; rules that need
the data (does the treatment value exist?) live in the data stage.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BeforeValidator,
    Field,
    PlainValidator,
    PrivateAttr,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from valueproof.config.base import Strict, TableOfDatabase
from valueproof.config.connections import definition_database
from valueproof.config.limits import (ACTIONS, ITEMS, LABEL, NAME, OWNER, SENTENCE, WHEN,
                                      FilePath, Sentence, too_long)
from valueproof.config.roster import ROSTER_DESCRIPTION, Roster
from valueproof.sandbox import Sandbox

#: A point in time as written by the analyst: a calendar date or an integer period (2024, 202431).
TimePoint = dt.date | int


def _as_time_point(value: object) -> object:
    """YAML reads `2026-07-01` as a date and `2024` as an int; strings like "2026-07-01" are parsed."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"-?\d+", text):
            return int(text)
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"'{value}' is not a date (write YYYY-MM-DD) or an integer period"
            ) from None
    if isinstance(value, bool):
        raise ValueError("expected a date (YYYY-MM-DD) or an integer period")
    return value


Time = Annotated[TimePoint, BeforeValidator(_as_time_point)]


def _as_date(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.date()
    return value


Date = Annotated[dt.date, BeforeValidator(_as_date)]


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


def _as_target(value: object) -> object:
    """`-15%` is a relative change (-0.15, flagged relative); a plain number is an absolute change."""
    if isinstance(value, bool):
        raise ValueError("expected a change such as -15% or -2.5")
    if isinstance(value, (int, float)):
        return {"value": float(value), "relative": False}
    if isinstance(value, str):
        text = value.strip().replace("−", "-").replace(" ", "")
        match = re.fullmatch(r"([+-]?\d+(?:\.\d+)?)%", text)
        if match:
            return {"value": float(match.group(1)) / 100.0, "relative": True}
        try:
            return {"value": float(text), "relative": False}
        except ValueError:
            raise ValueError(
                f"'{value}' is not a target: write a relative change such as -15% "
                "or an absolute change such as -2.5"
            ) from None
    return value


class LocatedError(ValueError):
    """A cross-field error that knows which key it is about, so the loader can cite its line."""

    def __init__(self, loc: tuple[str | int, ...], message: str):
        super().__init__(message)
        self.loc = loc


def check_locale(value: str) -> str:
    """The locale if Babel knows it and the report has a complete catalogue for its language
    (a region variant such as de_AT uses its language's words with its own number, date and
    currency formats); ValueError naming it otherwise."""
    from babel import Locale, UnknownLocaleError

    try:  # language[_Script][_REGION] only: no '@' modifier, encoding or path (it names a folder)
        if not re.fullmatch(r"[a-z]{2,3}([_-][A-Z][a-z]{3})?([_-]([A-Z]{2}|[0-9]{3}))?", value):
            raise ValueError(value)
        language = Locale.parse(value.replace("-", "_")).language
    except (UnknownLocaleError, ValueError, TypeError):
        from valueproof.language.i18n import complete_languages

        raise ValueError(f"'{value}' is not a known locale; use a language and optional region "
                         f"such as en, pl, en_GB (languages: {', '.join(complete_languages())})"
                         ) from None
    if language == "en":  # the source text: nothing to read
        return value
    from valueproof.language.i18n import complete_languages, is_complete_language

    if not is_complete_language(language):  # reads only this language's catalogue
        complete = complete_languages()
        if language not in complete:
            raise ValueError(
                f"'{value}': the report has no complete translation into this language yet; "
                f"complete languages: {', '.join(complete)} (a region variant such as "
                f"{complete[-1]}_{complete[-1].upper()} uses its language's words)")
    return value


class Party(Strict):
    name: str = Field(min_length=1, max_length=NAME, description="Display name, e.g. 'Acme Corp'.")
    logo: FilePath | None = Field(None, description="SVG or PNG logo, relative to the definition.")


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
        if (self.path is None) == (not self.from_database):
            raise ValueError("give exactly one of 'path' (a data file) or 'connection' (a "
                             "database the operator named in connections.yaml; or 'url' for a "
                             "DuckDB file), with 'table' or 'query'")
        self._one_table()
        return self


def megabytes(memory: str) -> float:
    """An amount of memory as `data.memory_limit` writes it (512MB, 4GB, 1.5TB) in megabytes."""
    found = re.fullmatch(r"\s*([\d.]+)\s*([MGT])B\s*", memory.upper())
    if not found:
        raise ValueError(f"'{memory}' is not an amount of memory; write e.g. 512MB or 4GB")
    return float(found.group(1)) * {"M": 1, "G": 1024, "T": 1024 ** 2}[found.group(2)]


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
    return value if isinstance(value, dict) else _as_time_point(value)


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


class Analysis(Strict):
    alpha: float = Field(0.05, gt=0, lt=0.5, description="Significance level (0 < alpha < 0.5).")
    se: Literal["cluster", "cr1", "hc1", "iid"] = Field(
        "cluster", description="Standard errors: cluster (by unit, CR2 with Bell-McCaffrey "
                               "degrees of freedom), cr1 (by unit, as fixest and Stata), hc1 or iid."
    )
    correction: Literal["holm", "bh", "bonferroni", "none"] = Field(
        "holm", description="Multiple-testing correction across KPIs."
    )
    period: Literal["day", "week", "month", "quarter"] = Field(
        "week", description="Period of the unit x period panel, trend charts and pre-trend test."
    )
    permutations: int = Field(
        2000, ge=2000, le=1_000_000, description="Randomization-inference draws (at least 2,000)."
    )
    seed: int = Field(20240601, ge=0, description="Seed of every random draw; reported.")
    comparison: Literal["never_treated", "not_yet_treated"] = Field(
        "never_treated", description="Rollout in waves: compare each wave with the units never "
                                     "treated, or also with those not yet treated at the time.")
    base_period: Literal["varying", "universal"] = Field(
        "varying", description="Rollout in waves: before the rollout, compare each period with "
                               "the one before it (varying, as R's did) or with the last period "
                               "before the rollout (universal).")
    bootstrap: int = Field(
        0, ge=0, le=100_000, description="Rollout in waves: multiplier-bootstrap draws for a "
                                         "simultaneous band on the effect-by-time chart (0: "
                                         "pointwise intervals; at least 999 otherwise).")

    @field_validator("bootstrap")
    @classmethod
    def _enough_draws(cls, value: int) -> int:
        if 0 < value < 999:
            raise ValueError(f"{value} draws are too few for a band; use 0 or at least 999")
        return value


class Action(Strict):
    do: str = Field(min_length=1, max_length=SENTENCE, description="What will be done.")
    owner: str | None = Field(None, max_length=OWNER)
    by: Date | None = None


class PluralUnit(str):
    """A unit with plural forms: the text is the `other` form (what the results JSON and the
    terminal show); `forms` maps CLDR plural categories to words, and the report takes the form
    for the number it shows ("1 dzień", "2 dni", "2,5 dnia")."""

    forms: dict[str, str]

    def __new__(cls, forms: dict[str, str]) -> PluralUnit:
        unit = super().__new__(cls, forms["other"])
        unit.forms = dict(forms)
        return unit

    def __reduce__(self):  # batch workers receive definitions pickled
        return PluralUnit, (self.forms,)


PLURAL_CATEGORIES = ("zero", "one", "two", "few", "many", "other")


def _as_unit(value: object) -> str:
    """A unit as text, or its plural forms by CLDR category ('other' required)."""
    if isinstance(value, str):
        if len(value) > 40:
            raise ValueError(too_long(40, len(value)))
        return value
    if not isinstance(value, dict):
        raise ValueError("expected a unit (text such as 'min') or its plural forms such as "
                         "{one: day, other: days}")
    for key, form in value.items():
        if key not in PLURAL_CATEGORIES:
            raise ValueError(f"unknown plural category '{key}'; expected one of: "
                             + ", ".join(PLURAL_CATEGORIES))
        if isinstance(form, str) and len(form) > 40:
            raise ValueError(f"plural form '{key}': {too_long(40, len(form))}")
        if not isinstance(form, str) or not form.strip():
            raise ValueError(f"plural form '{key}' must be a word of 1 to 40 characters")
    if "other" not in value:
        raise ValueError("plural forms of a unit need 'other' (the form for any other number, "
                         "e.g. {one: day, other: days})")
    return PluralUnit(value)


_UNIT_JSON_SCHEMA = {
    "anyOf": [
        {"type": "string", "maxLength": 40},
        {"type": "object", "required": ["other"], "additionalProperties": False,
         "properties": {c: {"type": "string", "minLength": 1, "maxLength": 40}
                        for c in PLURAL_CATEGORIES}},
    ],
}

#: A KPI's unit: text, or a mapping of CLDR plural categories to words (a PluralUnit).
Unit = Annotated[str, PlainValidator(_as_unit), WithJsonSchema(_UNIT_JSON_SCHEMA)]


class KPI(Strict):
    id: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="Identifier (letters, digits, _).")
    label: str | None = Field(None, max_length=LABEL,
                              description="Name shown to the customer (default: id).")
    column: str | None = Field(None, description="Value column (mean, sum; optional for count).")
    numerator: str | None = Field(None, description="Rate numerator column.")
    denominator: str | None = Field(
        None, description="Rate denominator column (default: number of observations)."
    )
    unit: Unit = Field(
        "", description="Unit shown after values, e.g. 'min', '%', 'EUR' (at most 40 characters); "
                        "or its plural forms by CLDR category, e.g. {one: dzień, few: dni, many: "
                        "dni, other: dnia} ('other' required; a category left out takes 'other'): "
                        "the report uses the form for each number it shows.")
    better: Literal["higher", "lower"] = Field(description="Which direction is an improvement.")
    aggregate: Literal["mean", "sum", "count", "rate"] = "mean"
    transform: Literal["none", "log"] = "none"
    weight: Literal["observations", "units"] = Field(
        "observations",
        description="mean and rate KPIs: 'observations' gives the effect per observation (per "
                    "ticket; rates as pooled ratios), 'units' counts each unit-period once. "
                    "count and sum KPIs are always per unit-period.")
    model: Literal["linear", "poisson"] = Field(
        "linear",
        description="linear: the difference-in-differences regression (effect in KPI units). "
                    "poisson: for count and sum KPIs of counts (values of 0 or more), Poisson "
                    "regression with unit and period effects; the effect is a rate ratio "
                    "(+18% more per unit-period), and in KPI units the treated units' "
                    "post-rollout mean x (1 - 1/rate ratio).")
    actions: list[Action] = Field(default_factory=list, max_length=ACTIONS)

    @property
    def display_label(self) -> str:
        return self.label or self.id

    @property
    def per_observation(self) -> bool:
        """Whether cells weigh by their observations (the effect is per observation)."""
        return self.weight == "observations" and self.aggregate in ("mean", "rate")

    @model_validator(mode="after")
    def _columns_fit_aggregate(self) -> KPI:
        if self.aggregate == "rate":
            if not self.numerator:
                raise ValueError("aggregate 'rate' needs a 'numerator' column")
            if self.column:
                raise ValueError("aggregate 'rate' uses 'numerator'/'denominator', not 'column'")
        else:
            if self.numerator or self.denominator:
                raise ValueError(
                    f"'numerator'/'denominator' only go with aggregate 'rate', not '{self.aggregate}'"
                )
            if self.aggregate in ("mean", "sum") and not self.column:
                raise ValueError(f"aggregate '{self.aggregate}' needs a 'column'")
        if self.model == "poisson" and self.aggregate not in ("count", "sum"):
            raise LocatedError(("model",), f"model 'poisson' is for counts: aggregate 'count' or "
                               f"'sum' (of counts, 0 or more), not '{self.aggregate}'; use model: "
                               "linear, or aggregate: count or sum")
        if self.model == "poisson" and self.transform == "log":
            raise LocatedError(("transform",), "model 'poisson' already reads the effect as a "
                               "ratio; use transform: none with it")
        return self

    @property
    def columns(self) -> list[str]:
        """Data columns this KPI reads."""
        return [c for c in (self.column, self.numerator, self.denominator) if c]


class Target(Strict):
    value: float
    relative: bool


class Criterion(Strict):
    kpi: str
    label: str | None = Field(None, max_length=SENTENCE,
                              description="How the goal was worded at onboarding.")
    target: Annotated[Target, BeforeValidator(_as_target)] | None = Field(
        None, description="Change to reach: relative (-15%) or absolute (-2.5, in KPI units)."
    )
    level: float | None = Field(None, description="Alternative to target: a level to reach.")
    by: Date | None = Field(None, description="Deadline agreed for the goal.")
    agreed_on: Date | None = Field(None, description="Date the goal was agreed.")
    actions: list[Action] = Field(default_factory=list, max_length=ACTIONS)

    @model_validator(mode="after")
    def _one_goal(self) -> Criterion:
        if (self.target is None) == (self.level is None):
            raise ValueError("give exactly one of 'target' (a change) or 'level' (a level to reach)")
        if self.target is not None and self.target.value == 0:
            raise ValueError("'target' of 0 is no goal; write the change agreed, e.g. -15%")
        return self


class Goal(Strict):
    goal: str = Field(min_length=1, max_length=SENTENCE)
    owner: str | None = Field(None, max_length=OWNER)
    by: Date | None = None


def _as_goal(value: object) -> object:
    return {"goal": value} if isinstance(value, str) else value


PeriodName = Literal["day", "week", "month", "quarter", "year"]


class Cost(Strict):
    label: str = Field(min_length=1, max_length=LABEL)
    amount: float = Field(gt=0, le=1e12, allow_inf_nan=False,
                          description="Positive amount in the ROI currency.")
    per: PeriodName | None = Field(None, description="Recurring cost per this period.")
    once: bool = Field(False, description="A one-off cost.")

    @model_validator(mode="after")
    def _recurring_or_once(self) -> Cost:
        if (self.per is None) == (not self.once):
            raise ValueError("give either 'per' (a recurring cost) or 'once: true' (a one-off)")
        return self


class Benefit(Strict):
    kpi: str
    label: str | None = Field(None, max_length=LABEL)
    value_per_unit: float = Field(
        gt=0, le=1e12, allow_inf_nan=False, description="Money per one unit of the KPI's effect: per minute for a handle time "
                          "in minutes; for a rate, per 1.0 of the rate (an effect of +0.05 is five "
                          "points), i.e. the money one extra success is worth."
    )
    volume: float = Field(
        gt=0, le=1e12, allow_inf_nan=False, description="How many of what the effect is per, in each 'per': observations "
                          "(tickets) for a mean KPI, the rate's denominator (closed deals, or "
                          "observations without one) for a rate, unit-periods (rep-weeks) for a "
                          "count, a sum or weight: units.")
    per: PeriodName = "month"


class ROI(Strict):
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. EUR.")
    horizon_months: int = Field(12, ge=1, le=120)
    costs: list[Cost] = Field(min_length=1)
    benefits: list[Benefit] = Field(min_length=1)


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


def _as_roadmap_item(value: object) -> object:
    return {"item": value} if isinstance(value, str) else value


def _as_when(value: object) -> object:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else (
        str(value) if isinstance(value, int) and not isinstance(value, bool) else value)


class RoadmapItem(Strict):
    item: str = Field(min_length=1, max_length=SENTENCE, description="What is coming.")
    when: Annotated[str, BeforeValidator(_as_when), Field(max_length=WHEN)] | None = Field(
        None, description="When, e.g. 2027-Q1 or a date.")


class Experiment(Strict):
    """A whole experiment definition, as written in experiment.yaml."""

    name: str = Field(min_length=1, max_length=NAME)
    customer: Party | None = None
    vendor: Party | None = None
    brand: FilePath | None = Field(None, description="Brand file (colours, fonts, footer).")
    quarter: str | None = Field(None, pattern=r"^\d{4}-Q[1-4]$", description="e.g. 2026-Q3")
    prepared_by: str | None = Field(None, max_length=NAME)
    report_date: Date | None = Field(None, description="Date printed on the cover.")
    locale: str = Field("en", description="Language and number format of the report, e.g. en, pl.")
    data: DataSource
    groups: Groups = Field(
        default_factory=Groups, description="Who got the product; with a rollout in waves "
                                            "only treatment_label and control_label.")
    rollout: Annotated[TimePoint | Waves, BeforeValidator(_as_rollout)] = Field(
        description="Date (or integer period) of a common rollout, or {column: NAME} / "
                    "{file: PATH} for a rollout in waves.")
    pre: Window | None = None
    post: Window | None = None
    window: Window | None = Field(
        None, description="Rollout in waves: the dates (or periods) of data to use; default all.")
    analysis: Analysis = Field(default_factory=Analysis)
    kpis: list[KPI] = Field(min_length=1)
    success_criteria: list[Criterion] = Field(default_factory=list)
    as_of: Date | None = None
    next_quarter: list[Annotated[Goal, BeforeValidator(_as_goal)]] = Field(
        default_factory=list, max_length=ITEMS)
    roi: ROI | None = None
    adoption: Adoption | None = Field(
        None, description="Licences, usage, training, NPS and support tickets.")
    health: Health | None = Field(
        None, description="Health score weights and thresholds (default weights without it).")
    highlights: list[Sentence] = Field(
        default_factory=list, max_length=ITEMS, description="Wins the CSM wants in the summary.")
    roadmap: list[Annotated[RoadmapItem, BeforeValidator(_as_roadmap_item)]] = Field(
        default_factory=list, max_length=ITEMS, description="What is coming, with when.")
    asks: list[Sentence] = Field(
        default_factory=list, max_length=ITEMS, description="What we need from the customer.")

    # Set by the loader, not by the analyst: the folder that relative paths resolve against.
    _base_dir: Path = PrivateAttr(default=Path("."))
    _definition_hash: str = PrivateAttr(default="")
    _allowed_roots: tuple[Path, ...] = PrivateAttr(default=())
    _connections: object = PrivateAttr(default=None)  # connections.Connections

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        return check_locale(value)

    @model_validator(mode="after")
    def _consistent(self) -> Experiment:
        ids = [k.id for k in self.kpis]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise LocatedError(
                ("kpis", ids.index(dupes[0], ids.index(dupes[0]) + 1), "id"),
                f"KPI id '{dupes[0]}' is used twice; each KPI needs its own id",
            )
        known = set(ids)
        for section, items in (
            ("success_criteria", self.success_criteria),
            ("roi.benefits", self.roi.benefits if self.roi else []),
        ):
            for i, item in enumerate(items):
                if item.kpi not in known:
                    loc = (*section.split("."), i, "kpi")
                    raise LocatedError(
                        loc, f"'{item.kpi}' is not a KPI id; known ids: {', '.join(ids)}"
                    )
        if self.health is not None and self.adoption is None:
            raise LocatedError(("health",), "'health' scores the adoption data: add 'adoption' "
                               "(usage, training, nps or tickets), or remove 'health'")
        if self.staggered:
            return self._consistent_waves()
        if self.groups.labels_only:
            raise LocatedError(
                ("groups",), "a common rollout needs 'groups' with 'column' or 'file' and "
                "'treatment' (and usually 'control'); for a rollout in waves write rollout: "
                "{column: NAME} or {file: PATH}")
        if self.window is not None:
            raise LocatedError(("window",), "'window' goes with a rollout in waves; with one "
                               "rollout date use 'pre' and 'post'")
        kind = type(self.rollout)
        for name in ("pre", "post"):
            window = getattr(self, name)
            if window is not None and type(window.start) is not kind:
                raise LocatedError(
                    (name, "start"),
                    "must be written like 'rollout' (both dates or both integer periods)",
                )
        if self.pre and self.pre.end >= self.rollout:
            raise LocatedError(
                ("pre", "end"),
                f"the pre window ends {self.pre.end}, on or after the rollout {self.rollout}; "
                "it must end before the rollout",
            )
        if self.post and self.post.start < self.rollout:
            raise LocatedError(
                ("post", "start"),
                f"the post window starts {self.post.start}, before the rollout {self.rollout}",
            )
        return self

    def _consistent_waves(self) -> Experiment:
        for i, kpi in enumerate(self.kpis):
            if kpi.model == "poisson":
                raise LocatedError(("kpis", i, "model"), "model 'poisson' needs one rollout date; "
                                   "a rollout in waves is estimated with model: linear")
        if not self.groups.labels_only:
            raise LocatedError(
                ("groups",), "with a rollout in waves the rollout dates say who got the product "
                "(an empty rollout: never); 'groups' takes only treatment_label and control_label")
        for name in ("pre", "post"):
            if getattr(self, name) is not None:
                raise LocatedError(
                    (name,), f"'{name}' goes with one rollout date; with a rollout in waves each "
                    "wave is compared with the period before it. To limit the data, use "
                    "'window: {start, end}'")
        return self

    @property
    def staggered(self) -> bool:
        """A rollout in waves (each unit its own rollout date)."""
        return isinstance(self.rollout, Waves)

    def kpi(self, kpi_id: str) -> KPI:
        return next(k for k in self.kpis if k.id == kpi_id)

    def resolve(self, path: Path, key: str = "path") -> Path:
        """A file the definition names (at `key`), resolved against the definition's folder and
        refused outside it and the roots the operator allowed (`sandbox.Sandbox.file`)."""
        return Sandbox(self._base_dir, *self._allowed_roots).file(path, key)

    @property
    def allowed_roots(self) -> tuple[Path, ...]:
        """Folders outside its own that the operator lets this definition read."""
        return self._allowed_roots

    @property
    def base_dir(self) -> Path:
        return self._base_dir

    @property
    def definition_hash(self) -> str:
        """SHA-256 of the definition file's bytes (empty for a definition built in code)."""
        return self._definition_hash

    def located_at(self, base_dir: Path, definition_hash: str = "",
                   allowed_roots: tuple[Path, ...] = (), connections=None) -> Experiment:
        """This definition with relative paths resolving against `base_dir`, allowed to read
        files under `base_dir` and `allowed_roots`, and the databases of `connections` (the
        operator's connections.yaml; None: found as `connections.Connections` finds it)."""
        self._base_dir = base_dir
        self._definition_hash = definition_hash
        self._allowed_roots = tuple(allowed_roots)
        self._connections = connections
        return self

    def database(self, spec, key: str):
        """(URL, DuckDB file or None) of the database a section (`data`, `groups`, …, given as
        `spec` at `key`) reads: its named connection, or its own DuckDB file, which must lie
        in the folders this definition may read."""
        from valueproof.config.connections import Connections, DatabaseUrl, redacted

        if spec.connection is not None:
            if self._connections is None:
                self._connections = Connections()
            url = self._connections.get(spec.connection, f"{key}.connection")
            file = None
            if url.scheme == "duckdb":  # the operator's own file, relative to connections.yaml
                location = Path(url.resolved[len("duckdb:///"):] if
                                url.resolved.lower().startswith("duckdb:///") else "")
                file = url.folder / location if not location.is_absolute() else location
            return url, file
        path = Path(definition_database(spec.url))
        url = DatabaseUrl(spec.url, spec.url, redacted(spec.url), origin=f"{key}.url")
        return url, self.resolve(path, f"{key}.url")

    @property
    def has_control(self) -> bool:
        return self.staggered or bool(self.groups.control)
