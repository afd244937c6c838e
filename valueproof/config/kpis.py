"""What is measured and how: the KPIs (with their units and actions), the analysis options
(standard errors, correction, periods, draws) and the success criteria agreed with the customer.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    BeforeValidator,
    Field,
    PlainValidator,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from valueproof.config.base import Strict
from valueproof.config.limits import ACTIONS, LABEL, OWNER, SENTENCE, too_long
from valueproof.config.types import Date, LocatedError


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
