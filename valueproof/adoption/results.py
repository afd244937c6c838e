"""Immutable results of the adoption stage: plain dataclasses that `Results.to_dict` serialises.

Shares are fractions (0.75 is 75%); NPS and the health score are on their own scales (-100..100
and 0..100); times to resolution are hours; dates are ISO dates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

#: `previous_reason` when the previous quarter ended before the product's start
FIRST_QUARTER = "first_quarter_with_product"


@dataclass(frozen=True)
class Period:
    """The days counted: a calendar quarter, cut at the as-of date."""

    quarter: str  # 2026-Q3
    start: dt.date
    end: dt.date  # last day counted

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class WeekActive:
    week: dt.date  # its Monday
    users: int  # distinct users with any use from Monday to Sunday
    quarter: str  # the quarter its Thursday falls in


@dataclass(frozen=True)
class FeatureUse:
    id: str
    label: str
    users: int  # active users who used it in the 28 days
    share: float | None  # of active users


@dataclass(frozen=True)
class TrainingPoint:
    date: dt.date
    completed: int
    base: int
    share: float | None


@dataclass(frozen=True)
class Training:
    completed: int  # users who completed it by the as-of date (of the base, see `basis`)
    base: int  # licences | active users | users in the training file
    basis: str  # licences | active_users | trainees
    share: float | None  # completed / base
    active_share: float | None  # share of the active users who completed it (with usage data)
    previous_share: float | None  # at the end of the previous quarter
    change: float | None  # share - previous_share (fraction points)
    trend: list[TrainingPoint] = field(default_factory=list)  # month ends, then the as-of date


@dataclass(frozen=True)
class SupportLine:
    """Tickets of one period (and one priority, or all)."""

    priority: str | None  # None: all tickets
    opened: int  # opened in the period
    per_week: float  # opened / (days / 7)
    resolved: int  # resolved in the period
    median_hours: float | None  # time to resolution of those resolved in the period
    p90_hours: float | None
    backlog: int  # open at the end of the period's last day
    due: int  # opened in the period at least `target_hours` before its end
    within_target: float | None  # share of `due` resolved within `target_hours`


@dataclass(frozen=True)
class Support:
    target_hours: int
    current: SupportLine
    previous: SupportLine | None  # None: the previous quarter ended before the product started
    by_priority: list[SupportLine] = field(default_factory=list)  # current period


@dataclass(frozen=True)
class NPSPeriod:
    quarter: str
    start: dt.date
    end: dt.date
    score: float | None
    n: int
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class NPS:
    score: float | None  # % promoters - % detractors, -100..100
    n: int
    promoters: int  # answers 9-10
    passives: int  # 7-8
    detractors: int  # 0-6
    promoter_share: float | None
    passive_share: float | None
    detractor_share: float | None
    se: float | None  # NPS points
    ci_low: float | None
    ci_high: float | None
    caution: bool  # fewer than 30 answers
    period: NPSPeriod
    previous: NPSPeriod | None  # None with `previous_reason`
    change: float | None
    change_ci_low: float | None
    change_ci_high: float | None
    by_month: list[dict] = field(default_factory=list)  # {month, n, score}
    previous_reason: str | None = None  # first_quarter_with_product: nothing to compare with


@dataclass(frozen=True)
class HealthComponent:
    id: str  # usage | training | support | nps
    weight: float  # as written (or the default)
    available: bool
    measure: float | None  # utilisation, completion, share within target (fractions) or NPS
    score: float | None  # 0..100 by `rule`
    weight_used: float | None  # renormalised over the available components
    contribution: float | None  # weight_used x score: the components' contributions add up
    rule: str
    reason: str | None = None  # why it is left out


@dataclass(frozen=True)
class Health:
    score: float  # 0..100
    status: str  # green | amber | red
    thresholds: dict[str, float]
    components: list[HealthComponent]
    missing: list[str]  # weighted components without data, left out
    renormalised: bool
    previous_score: float | None  # the same score at the end of the previous quarter
    previous_status: str | None
    change: float | None
    previous_reason: str | None = None  # first_quarter_with_product: no score to compare with


@dataclass(frozen=True)
class ActivationPoint:
    day: int  # days since onboarding (0: the onboarding day)
    date: dt.date
    users: int  # users who had used it at least once since onboarding, by that day
    share: float | None  # of licences


@dataclass(frozen=True)
class FirstDays:
    onboarded_on: dt.date
    days_since: int  # as-of date - onboarding date
    within_90_days: bool
    target_share: float  # the X of "X% of licences active"
    time_to_first_value: int | None  # days until `target_share` of licences had used it
    reached_on: dt.date | None
    curve: list[ActivationPoint] = field(default_factory=list)  # days 0..90 (to the as-of date)


@dataclass(frozen=True)
class Adoption:
    as_of: dt.date
    period: Period
    previous_period: Period | None  # None in the first quarter with the product
    licences: int | None
    licences_source: str | None  # count | column | list
    active_users: int | None  # distinct users in the 28 days ending at as_of
    utilisation: float | None  # active_users / licences
    window_days: int
    daily_active_mean: float | None  # average distinct users per day over the 28 days
    stickiness: float | None  # daily_active_mean / active_users
    weekly_active: list[WeekActive]
    weekly_active_mean: float | None  # over the quarter's whole weeks
    weekly_active_mean_previous: float | None
    weekly_active_change: float | None  # relative change of the mean
    features: list[FeatureUse]
    training: Training | None
    support: Support | None
    first_90_days: FirstDays | None
    sources: list = field(default_factory=list)  # `load.FileSummary` of each file
    # the product's start: the earliest of `onboarded_on` and the rollout (its first wave)
    product_start: dt.date | None = None
    # first_quarter_with_product when the previous quarter ended before the product's start:
    # then nothing is compared with it (health, NPS, weekly users, training, support)
    previous_reason: str | None = None


@dataclass(frozen=True)
class AdoptionOutcome:
    """What the adoption stage hands to the value stage."""

    adoption: Adoption
    nps: NPS | None
    health: Health | None
    warnings: list[str]
