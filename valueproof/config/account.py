"""The account's side of the definition: the parties on the cover, the ROI (costs and the
benefits of KPI effects), next quarter's goals and the roadmap.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, model_validator

from valueproof.config.base import Strict
from valueproof.config.limits import LABEL, NAME, NOTE, OWNER, SENTENCE, WHEN, FilePath
from valueproof.config.types import Date


class Party(Strict):
    name: str = Field(min_length=1, max_length=NAME, description="Display name, e.g. 'Acme Corp'.")
    logo: FilePath | None = Field(None, description="SVG or PNG logo, relative to the definition.")


class Goal(Strict):
    goal: str = Field(min_length=1, max_length=SENTENCE)
    owner: str | None = Field(None, max_length=OWNER)
    by: Date | None = None


def _as_goal(value: object) -> object:
    return {"goal": value} if isinstance(value, str) else value


#: A goal of `next_quarter`: a sentence, or a mapping with its owner and date.
QuarterGoal = Annotated[Goal, BeforeValidator(_as_goal)]


PeriodName = Literal["day", "week", "month", "quarter", "year"]


class Cost(Strict):
    label: str = Field(min_length=1, max_length=LABEL)
    amount: float = Field(gt=0, le=1e12, allow_inf_nan=False,
                          description="Positive amount in the ROI currency.")
    per: PeriodName | None = Field(None, description="Recurring cost per this period.")
    once: bool = Field(False, description="A one-off cost.")
    note: str | None = Field(None, min_length=1, max_length=NOTE,
                             description="Where the amount comes from, e.g. 'order form, 32 "
                                         "seats'; shown in the ROI table.")

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
    note: str | None = Field(None, min_length=1, max_length=NOTE,
                             description="Where value_per_unit and volume come from, e.g. "
                                         "'loaded agent cost €45/h; tickets in Q3'; shown in "
                                         "the ROI table.")
    time_saved: bool | None = Field(
        None, description="The benefit is time saved: the report says it frees capacity, which "
                          "is cash only when that time is re-deployed (default: true when the "
                          "KPI's unit is seconds, minutes or hours).")


class ROI(Strict):
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. EUR.")
    horizon_months: int = Field(12, ge=1, le=120)
    costs: list[Cost] = Field(min_length=1)
    benefits: list[Benefit] = Field(min_length=1)


def _as_roadmap_item(value: object) -> object:
    return {"item": value} if isinstance(value, str) else value


def _as_when(value: object) -> object:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else (
        str(value) if isinstance(value, int) and not isinstance(value, bool) else value)


class RoadmapItem(Strict):
    item: str = Field(min_length=1, max_length=SENTENCE, description="What is coming.")
    when: Annotated[str, BeforeValidator(_as_when), Field(max_length=WHEN)] | None = Field(
        None, description="When, e.g. 2027-Q1 or a date.")


#: An item of `roadmap`: a sentence, or a mapping with when it comes.
RoadmapEntry = Annotated[RoadmapItem, BeforeValidator(_as_roadmap_item)]
