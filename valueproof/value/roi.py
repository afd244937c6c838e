"""ROI with its uncertainty, from the measured effects and the analyst's value assumptions.

benefit of a KPI = improvement (effect in KPI units, signed so that better is positive)
                   x volume per period x periods in the horizon x value per KPI unit.
A KPI that got worse gives a negative benefit: it is never dropped. The range of the total is
an interval at a stated level (`level`, 1 - alpha: 95%) from the joint covariance of the KPIs'
estimates (`value.roi_range`), not every benefit at an end of its own interval (which covers
99.6% with two independent benefits and ever more with each one added); each line keeps its own
interval for the table. The conservative figure is the range's lower end.
ROI is (benefit - cost) / cost, shown as a percentage ("ROI 452%"), with the plain ratio
benefit / cost beside it ("5.52 back for every 1 spent"); never as a multiple of the net, which
a reader takes for the ratio. The horizon figures are a projection at the measured effect; what
the measured period itself realised (`realised`) is kept apart: in a rollout in waves each wave
counts from its own rollout, so the benefit so far weighs each wave by its units' time with the
product inside the measured period. Money stays unrounded here;
`shown_totals` rounds benefit and cost alike and derives the net from the rounded parts, so the
figures a reader sees add up.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from valueproof.config.account import ROI, Benefit, Cost
from valueproof.stats.results import KPIResult
from valueproof.value.roi_range import total_range

DAYS_PER_MONTH = 365.25 / 12
PERIODS_PER_MONTH = {"day": DAYS_PER_MONTH, "week": DAYS_PER_MONTH / 7, "month": 1.0,
                     "quarter": 1 / 3, "year": 1 / 12}


@dataclass(frozen=True)
class BenefitLine:
    kpi: str
    label: str
    improvement: float  # KPI units per event, positive = better
    improvement_low: float
    improvement_high: float
    monthly_volume: float
    value_per_unit: float
    monthly: float  # money per month at the estimate
    total: float  # over the horizon
    total_low: float  # this benefit alone at the ends of its KPI's own interval
    total_high: float
    note: str | None = None  # where the figures come from, as the definition says
    time_saved: bool = False  # time freed: capacity, cash only when re-deployed


#: KPI units that make a benefit time saved unless the definition says otherwise
TIME_UNITS = {"s", "sec", "secs", "second", "seconds", "min", "mins", "minute", "minutes", "h",
              "hr", "hrs", "hour", "hours"}


@dataclass(frozen=True)
class CostLine:
    label: str
    amount: float
    per: str | None
    once: bool
    monthly: float  # recurring cost per month (0 for one-off)
    total: float  # over the horizon
    note: str | None = None  # where the amount comes from


@dataclass(frozen=True)
class ROIResult:
    currency: str
    horizon_months: int
    benefit: float
    benefit_low: float
    benefit_high: float
    benefit_conservative: float  # the range's lower end
    cost: float
    net: float
    roi: float
    roi_low: float
    roi_high: float
    roi_conservative: float
    payback_months: float | None  # None: never pays back at the estimated effects
    benefits: list[BenefitLine]
    costs: list[CostLine]
    ratio: float = math.nan  # benefit / cost: money back for every 1 spent
    ratio_low: float = math.nan
    ratio_high: float = math.nan
    # the measured (post) period itself: {start, end, months, with_product (share of the
    # treated units' time in it with the product), benefit, benefit_low, benefit_high, cost};
    # None without calendar dates
    realised: dict | None = None
    # the range of the total: its level (1 - alpha), how it was found (joint | own_interval |
    # bonferroni, whose level is a lower bound), the total benefit's SE and df, and for
    # bonferroni the level of each KPI's interval
    level: float = 0.95
    range_method: str = "joint"
    benefit_se: float | None = None
    range_df: float | None = None
    each_level: float | None = None


def shown_totals(benefit: float, cost: float, significant: int = 3) -> tuple[float, float, float]:
    """Benefit and cost rounded to one common unit (`significant` digits of the larger), and
    the net as the difference of the rounded figures: 230,000 - 42,000 = 188,000, never a
    separately rounded 190,000."""
    if not (math.isfinite(benefit) and math.isfinite(cost)):
        return benefit, cost, benefit - cost
    largest = max(abs(benefit), abs(cost))
    unit = 10.0 ** max(0, math.floor(math.log10(largest)) - significant + 1) if largest else 1.0
    b, c = round(benefit / unit) * unit, round(cost / unit) * unit
    return b, c, b - c


def cost_line(cost: Cost, horizon: int) -> CostLine:
    if cost.once:
        return CostLine(cost.label, cost.amount, None, True, 0.0, cost.amount, cost.note)
    monthly = cost.amount * PERIODS_PER_MONTH[cost.per]
    return CostLine(cost.label, cost.amount, cost.per, False, monthly, monthly * horizon,
                    cost.note)


def benefit_sign(kpi: KPIResult) -> float:
    return 1.0 if kpi.better == "higher" else -1.0


def benefit_line(benefit: Benefit, kpi: KPIResult, horizon: int) -> BenefitLine:
    sign = benefit_sign(kpi)
    bounds = sorted([sign * kpi.effect_units_low, sign * kpi.effect_units_high])
    improvement = sign * kpi.effect_units
    volume = benefit.volume * PERIODS_PER_MONTH[benefit.per]
    per_month = volume * benefit.value_per_unit
    return BenefitLine(
        kpi=kpi.id, label=benefit.label or kpi.label, improvement=improvement,
        improvement_low=bounds[0], improvement_high=bounds[1], monthly_volume=volume,
        value_per_unit=benefit.value_per_unit, monthly=improvement * per_month,
        total=improvement * per_month * horizon, total_low=bounds[0] * per_month * horizon,
        total_high=bounds[1] * per_month * horizon, note=benefit.note,
        time_saved=(benefit.time_saved if benefit.time_saved is not None
                    else str(kpi.unit).strip().lower() in TIME_UNITS),
    )


def time_with_product(waves: list[dict] | None, measured: tuple[dt.date, dt.date]) -> float:
    """The share of the treated units' time in the measured period spent with the product:
    1 for a common rollout (the period starts at it); for a rollout in waves each wave's units
    count from the wave's first rollout date (its `first_rollout`) to the period's end."""
    start, end = measured
    days = (end - start).days + 1
    try:
        dated = [(dt.date.fromisoformat(str(w["first_rollout"])), w["units"]) for w in waves or []]
    except ValueError:  # integer periods: no calendar to count days in
        return 1.0
    units = sum(n for _, n in dated)
    if not units or days <= 0:
        return 1.0
    used = sum(n * min(max((end - max(rollout, start)).days + 1, 0), days)
               for rollout, n in dated)
    return used / (units * days)


def compute_roi(roi: ROI, kpis: dict[str, KPIResult],
                measured: tuple[dt.date, dt.date] | None = None, alpha: float = 0.05,
                waves: list[dict] | None = None) -> ROIResult:
    """ROI over the horizon, its range at level 1 - `alpha`; `measured` is the post window,
    whose realised benefit and cost are reported apart from the projection (`waves`: the
    results' waves of a rollout in waves, each counted from its own rollout)."""
    horizon = roi.horizon_months
    benefits = [benefit_line(b, kpis[b.kpi], horizon) for b in roi.benefits]
    costs = [cost_line(c, horizon) for c in roi.costs]
    cost = sum(c.total for c in costs)
    benefit = sum(b.total for b in benefits)
    # total benefit = sum of a x effect in KPI units, a = sign x money per KPI unit
    span = total_range([(kpis[b.kpi], benefit_sign(kpis[b.kpi]) * _per_unit(b, horizon))
                        for b in roi.benefits], alpha)
    low, high = span.low, span.high
    monthly_net = sum(b.monthly for b in benefits) - sum(c.monthly for c in costs)
    one_off = sum(c.total for c in costs if c.once)
    payback = one_off / monthly_net if monthly_net > 0 else None
    realised = None
    if measured is not None:
        months = ((measured[1] - measured[0]).days + 1) / DAYS_PER_MONTH
        share = time_with_product(waves, measured)
        realised = {
            "start": measured[0].isoformat(), "end": measured[1].isoformat(), "months": months,
            "with_product": share,
            "benefit": sum(b.monthly for b in benefits) * months * share,
            "benefit_low": low / horizon * months * share,
            "benefit_high": high / horizon * months * share,
            "cost": sum(c.monthly for c in costs) * months + one_off,
        }
    return ROIResult(
        currency=roi.currency, horizon_months=horizon, benefit=benefit, benefit_low=low,
        benefit_high=high, benefit_conservative=low, cost=cost, net=benefit - cost,
        roi=(benefit - cost) / cost, roi_low=(low - cost) / cost, roi_high=(high - cost) / cost,
        roi_conservative=(low - cost) / cost, payback_months=payback,
        benefits=benefits, costs=costs, ratio=benefit / cost, ratio_low=low / cost,
        ratio_high=high / cost, realised=realised, level=span.level,
        range_method=span.method, benefit_se=span.se, range_df=span.df,
        each_level=span.each_level,
    )


def _per_unit(benefit: Benefit, horizon: int) -> float:
    """Money over the horizon per KPI unit of effect."""
    return benefit.volume * PERIODS_PER_MONTH[benefit.per] * benefit.value_per_unit * horizon
