"""Immutable results of the statistics stage; every view (JSON, table, report) reads these."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class PreTrend:
    """Did treated and control move alike before the rollout? Never "passed": a check that
    detects nothing may simply lack power, so `detectable_trend` says what it could detect."""

    status: str  # not_detected | detected | not_testable
    p_value: float | None  # of the test that decides (`test`)
    statistic: float | None
    df: tuple[float, float] | None  # (numerator, denominator) of its F test
    periods: int  # pre-period restrictions of the joint test
    test: str | None = None  # joint | randomization (every pre period) | linear_trend (1 df)
    trend: float | None = None  # difference in the groups' slopes before the rollout, per period
    trend_p: float | None = None
    detectable_trend: float | None = None  # slope difference found with 80% power (same units)
    # the distribution the deciding test's p-value comes from: HTZ (CR2 with Pustejovsky &
    # Tipton's approximate Hotelling T², df = (q, nu - q + 1)), Hotelling (CR1: F on q, G - q),
    # F (iid, hc1), permutation, t (a 1-df slope test)
    method: str | None = None


@dataclass(frozen=True)
class Robustness:
    """Checks beside the main estimate, on unit-level post - pre changes and label permutations."""

    welch_p: float | None
    rank_p: float | None
    permutation_p: float | None
    permutations: int  # draws, or the number of assignments when enumerated exactly
    exact: bool
    units_with_change: dict[str, int]


@dataclass(frozen=True)
class EventPoint:
    """Treated - control gap in one period, relative to the mean gap of the pre periods."""

    period: str
    post: bool
    coefficient: float
    ci_low: float
    ci_high: float
    reference: bool = False


@dataclass(frozen=True)
class TrendPoint:
    """Group means in one period (KPI units; geometric means for log KPIs) with 95% bands."""

    period: str
    post: bool
    treatment: float | None
    treatment_low: float | None
    treatment_high: float | None
    control: float | None
    control_low: float | None
    control_high: float | None
    partial: bool = False  # the period split at the rollout: shown, not used in estimates


@dataclass(frozen=True)
class UnitInfluence:
    """Each unit's contribution to a KPI's headline effect (model scale: log points for log
    KPIs): estimate - truth is about the sum of `values`, and se**2 = sum(values**2) exactly,
    with whatever small-sample scaling the reported SE carries. Two KPIs measured on the same
    units, aligned by unit id, give the covariance of their effects: sum_g psi_jg psi_kg."""

    units: tuple[str, ...]  # unit ids, as in the data
    values: np.ndarray  # (units,)

    @classmethod
    def scaled(cls, units, values: np.ndarray, se: float) -> UnitInfluence | None:
        """The influences scaled so that their sum of squares is se**2 (None when the SE or
        the influences are not available)."""
        values = np.asarray(values, dtype=float)
        norm = float(np.sqrt(values @ values)) if len(values) else 0.0
        if not (np.isfinite(se) and se > 0 and np.isfinite(norm) and norm > 0):
            return None
        return cls(tuple(str(u) for u in units), values * (se / norm))


@dataclass(frozen=True)
class RandomizationDraws:
    """The randomization test of one KPI's headline, kept to be inverted at any level: under
    "the effect is d" assignment A gives statistic[A] - d * shift[A] against observed - d
    (`stats.permutation.invert`)."""

    statistic: np.ndarray
    shift: np.ndarray
    observed: float
    exact: bool  # every assignment enumerated
    # which assignments were drawn: KPIs with the same key were tested on the same assignments,
    # in the same order, so their draws combine into one test of a sum of their effects
    assignments: str = ""


# KPIResult fields that serve the value stage and stay out of the results JSON
INTERNAL_FIELDS = ("influence", "randomization")


@dataclass(frozen=True)
class KPIResult:
    id: str
    label: str
    unit: str
    better: str
    aggregate: str
    transform: str
    estimand: str  # what the effect is per: per_observation | per_unit_period | pooled_ratio
    method: str  # did | pre_post | synthetic_did
    inference: str  # model | permutation (1-3 treated units or a group under 5)
    n_units: dict[str, int]
    n_obs: int
    n_cells: int
    means: dict[str, float]
    effect: float
    se: float
    df: float  # Bell-McCaffrey df with CR2
    ci_low: float
    ci_high: float
    p_value: float
    p_adjusted: float
    relative_effect: float | None
    relative_ci_low: float | None
    relative_ci_high: float | None
    significant: bool
    improved: bool
    verdict: str  # improved | worsened | inconclusive
    mde: float  # smallest true effect detected with 80% power (KPI units or log points)
    # The effect in KPI units (for log KPIs: counterfactual level x (exp(effect) - 1)) with its
    # CI, and the treatment group's post-rollout level with its CI: what targets are judged on.
    effect_units: float
    effect_units_low: float
    effect_units_high: float
    level: float
    level_low: float
    level_high: float
    pre_trend: PreTrend
    robustness: Robustness
    event_study: list[EventPoint]
    trend: list[TrendPoint]
    # units per group seen on both sides of the rollout, only before (left), only after (joined)
    attrition: dict[str, dict[str, int]] = field(default_factory=dict)
    # the effect on units seen on both sides only, when some are not (effect, se, ci, units)
    sensitivity: dict | None = None
    # permutation inference (few treated units): the smallest p-value the design can produce,
    # and whether any effect could be called significant at all
    smallest_p: float | None = None
    detectable: bool = True
    warnings: list[str] = field(default_factory=list)
    # A rollout in waves (design "staggered"): the simple, group (the headline), dynamic and
    # calendar aggregations, and every wave x period effect ATT(g,t).
    aggregations: dict | None = None
    group_time: list[dict] = field(default_factory=list)
    # For the ROI's joint range (not in the JSON): each unit's influence on the headline when
    # its SE comes from them (cluster and CR1 standard errors, rollouts in waves), and the
    # randomization draws when the permutation test leads.
    influence: UnitInfluence | None = field(default=None, repr=False, compare=False)
    randomization: RandomizationDraws | None = field(default=None, repr=False, compare=False)
    # `model: poisson` (counts): effect, CI and MDE are log rate ratios; the rate ratio with its
    # interval; relative_effect = RR - 1; effect_units = treated post mean x (1 - 1/RR); the
    # units without any event, left out of the Poisson fit
    model: str = "linear"
    rate_ratio: float | None = None
    rate_ratio_ci_low: float | None = None
    rate_ratio_ci_high: float | None = None
    units_without_events: int = 0
    # `comparison` (donor accounts, method "synthetic_did"): donors, largest and effective weight,
    # pre-period fit, dip, placebo SE, the SDID / synthetic control / DiD rows, and the donors'
    # weights (vendor JSON only, never rendered)
    synthetic: dict | None = None

    @property
    def log_scale(self) -> bool:
        """Whether effect, CI, MDE, event study and trends are in log points (a log KPI, or a
        Poisson KPI's log rate ratio)."""
        return self.transform == "log" or self.model == "poisson"


def _plain(value):
    """JSON-safe copy: dates as ISO text, NaN/inf as null, tuples as lists."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return _plain(value.item())
    return value


@dataclass(frozen=True)
class Results:
    valueproof_version: str
    experiment: str
    design: str  # panel | cross_section | staggered (a rollout in waves)
    method: str  # did | pre_post | synthetic_did
    alpha: float
    se: str
    correction: str
    period: str
    seed: int
    rollout: str
    pre: dict[str, str]
    post: dict[str, str]
    data_fingerprint: str
    definition_hash: str
    kpis: list[KPIResult]
    warnings: list[str]
    data_quality: list[dict]
    criteria: list = field(default_factory=list)
    roi: object | None = None
    improvement_plan: list = field(default_factory=list)
    next_quarter: list = field(default_factory=list)
    # a rollout in waves: each wave's first period with the product, its earliest rollout and
    # units; how waves were compared (never_treated | not_yet_treated) and the base period
    waves: list[dict] = field(default_factory=list)
    comparison: str | None = None
    base_period: str | None = None
    # adoption data (`valueproof.adoption.results`): licences, active users, features, training,
    # support; NPS; the health score with its components; and the CSM's own words
    adoption: object | None = None
    nps: object | None = None
    health: object | None = None
    highlights: list[str] = field(default_factory=list)
    roadmap: list[dict] = field(default_factory=list)
    asks: list[str] = field(default_factory=list)
    # `comparison`: the donor accounts kept and left out with the reasons (vendor JSON only)
    donors: dict | None = None

    def kpi(self, kpi_id: str) -> KPIResult:
        return next(k for k in self.kpis if k.id == kpi_id)

    def to_dict(self) -> dict:
        """The results JSON of DESIGN.md (plus extra fields); the units' influences and the
        randomization draws stay out, and the synthetic DiD's `synthetic` and `donors` without
        `comparison`."""
        bare = dataclasses.replace(self, kpis=[
            dataclasses.replace(k, **dict.fromkeys(INTERNAL_FIELDS)) for k in self.kpis])
        out = dataclasses.asdict(bare)
        for kpi in out["kpis"]:
            for name in INTERNAL_FIELDS:
                kpi.pop(name, None)
            if kpi["synthetic"] is None:  # the synthetic DiD's fields only where it ran
                kpi.pop("synthetic")
        if out["donors"] is None:
            out.pop("donors")
        return _plain(out)

    def to_frame(self):
        """One row per KPI: the headline columns."""
        import pandas as pd

        columns = ["id", "label", "method", "effect", "se", "ci_low", "ci_high", "p_value",
                   "p_adjusted", "relative_effect", "relative_ci_low", "relative_ci_high",
                   "significant", "improved", "verdict", "mde", "n_obs"]
        rows = []
        for kpi in self.kpis:
            row = {name: getattr(kpi, name) for name in columns}
            row.update(n_treatment=kpi.n_units.get("treatment"), n_control=kpi.n_units.get("control"),
                       pre_trend=kpi.pre_trend.status, pre_trend_p=kpi.pre_trend.p_value,
                       welch_p=kpi.robustness.welch_p, rank_p=kpi.robustness.rank_p,
                       permutation_p=kpi.robustness.permutation_p)
            rows.append(row)
        return pd.DataFrame(rows).set_index("id")
