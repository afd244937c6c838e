"""Adoption stage: licences used, active users, features, training, support, NPS, health.

Reads the definition's `adoption` files (see `load`) into an in-memory DuckDB and counts, in
SQL, up to the as-of date (the date the scorecard is judged at). The quarter is the definition's
`quarter`, else the calendar quarter of the as-of date, cut at the as-of date; the previous
period is the calendar quarter before it. Exact definitions are in each module's docstring.

Nothing is compared with a quarter before the product: when the previous quarter ended before
the product's start (the earliest of `adoption.onboarded_on` and the rollout, or its first wave),
the quarter is the first with the product, and the health score, NPS, weekly active users,
training and support have no previous value (`previous_reason: first_quarter_with_product`).
"""

from __future__ import annotations

import datetime as dt

from valueproof.adoption.results import FIRST_QUARTER, Adoption, AdoptionOutcome, Period
from valueproof.config.schema import Experiment
from valueproof.data.session import open_session
from valueproof.errors import ConfigError


def _quarter(year: int, number: int) -> tuple[str, dt.date, dt.date]:
    start = dt.date(year, 3 * number - 2, 1)
    after = dt.date(year + (number == 4), 1 if number == 4 else 3 * number + 1, 1)
    return f"{year}-Q{number}", start, after - dt.timedelta(days=1)


def reporting_periods(quarter: str | None, as_of: dt.date) -> tuple[Period, Period]:
    """(the quarter, cut at `as_of`; the quarter before it)."""
    if quarter:
        year, number = int(quarter[:4]), int(quarter[-1])
    else:
        year, number = as_of.year, (as_of.month - 1) // 3 + 1
    label, start, end = _quarter(year, number)
    if as_of < start:
        raise ConfigError(f"quarter: {label} starts on {start}, after the as-of date {as_of} "
                          "(as_of, else report_date, else the end of the post window); fix "
                          "'quarter' or 'as_of'")
    before = (year - 1, 4) if number == 1 else (year, number - 1)
    return Period(label, start, min(end, as_of)), Period(*_quarter(*before))


def product_start(experiment: Experiment, rollout: str | None) -> dt.date | None:
    """When the product started: the earliest of `adoption.onboarded_on` and `rollout` (the
    results' rollout, the first wave's for a rollout in waves, as ISO text); None when neither
    is a calendar date."""
    dates = [experiment.adoption.onboarded_on] if experiment.adoption else []
    try:
        dates.append(dt.date.fromisoformat(str(rollout)))
    except ValueError:  # integer periods
        pass
    dates = [d for d in dates if isinstance(d, dt.date)]
    return min(dates) if dates else None


def assess_adoption(experiment: Experiment, as_of: dt.date | None,
                    started: dt.date | None = None) -> AdoptionOutcome | None:
    """Every adoption number of the definition at `as_of`; None without `adoption`. `started`
    is the product's start (`product_start`): no comparison with a quarter that ended before
    it."""
    if experiment.adoption is None:
        return None
    if as_of is None:
        raise ConfigError("adoption: adoption numbers are counted up to a calendar date, and "
                          "this experiment uses integer periods; set as_of: YYYY-MM-DD")
    con = open_session(experiment.data.timezone)
    try:
        return _assess(con, experiment, as_of, started)
    finally:
        con.close()


def _assess(con, experiment: Experiment, as_of: dt.date,
            started: dt.date | None) -> AdoptionOutcome:
    from valueproof.adoption import nps as promoters
    from valueproof.adoption import support as tickets
    from valueproof.adoption import usage
    from valueproof.adoption.load import load_adoption

    spec = experiment.adoption
    loaded = load_adoption(con, experiment)
    current, previous = reporting_periods(experiment.quarter, as_of)
    first_quarter = started is not None and previous.end < started
    if first_quarter:  # the quarter before ended before the product: nothing to compare with
        previous = None
    warnings = list(loaded.findings)
    has_usage = "usage" in loaded.tables
    licences = usage.licence_count(con, spec.licences, as_of) if spec.licences else None
    source = (None if spec.licences is None else "count" if spec.licences.count
              else "list" if spec.licences.listed else "column")
    active = stickiness = daily = utilisation = None
    weeks, features, first_days = [], [], None
    if has_usage:
        active = usage.active_users(con, as_of)
        daily = usage.daily_active_mean(con, as_of)
        stickiness = daily / active if active else None
        utilisation = active / licences if licences else None
        weeks = usage.weekly_active(con, previous, current, as_of)
        features, unknown = usage.features(con, spec.features, as_of, active)
        warnings += [f"adoption.features: '{f}' never occurs in column '{spec.usage.feature}' of "
                     "the usage data; check the id" for f in unknown]
        over = usage.unlicensed(con, spec.licences, active, licences, as_of)
        warnings += [over] if over else []
        if spec.onboarded_on is not None:
            first_days = usage.first_days(con, spec.onboarded_on, licences, as_of)
    mean_now = usage.mean_users(weeks, current.quarter)
    mean_before = usage.mean_users(weeks, previous.quarter) if previous else None
    training = (usage.training(con, spec.licences, has_usage, previous, as_of, current)
                if "training" in loaded.tables else None)
    support = (tickets.support(con, current, previous, spec.tickets.priority is not None)
               if "tickets" in loaded.tables else None)
    score = promoters.nps(con, current, previous) if "nps" in loaded.tables else None
    if score is not None and score.caution:
        warnings.append(f"NPS rests on {score.n} answer(s) in {current.quarter} (fewer than "
                        f"{promoters.CAUTION_N}): read it with its wide interval")
    adoption = Adoption(
        as_of, current, previous, licences, source, active, utilisation, usage.WINDOW_DAYS,
        daily, stickiness, weeks, mean_now, mean_before,
        mean_now / mean_before - 1 if mean_now is not None and mean_before else None,
        features, training, support, first_days, list(loaded.files), started,
        FIRST_QUARTER if first_quarter else None)
    health = _health(con, experiment, adoption, score, previous)
    if health is not None and health.missing:
        kept = [c.id for c in health.components if c.available]
        warnings.append(f"health score: {', '.join(health.missing)} left out (no data); the "
                        f"weights of {', '.join(kept)} were renormalised to add up to 1")
    return AdoptionOutcome(adoption, score, health, warnings)


def _health(con, experiment: Experiment, adoption: Adoption, score, previous: Period | None):
    """The health score now and at the end of the previous quarter (None: no previous score,
    the quarter is the first with the product)."""
    from valueproof.adoption import health as scoring
    from valueproof.adoption import usage

    licences_then = (usage.licence_count(con, experiment.adoption.licences, previous.end)
                     if experiment.adoption.licences and previous else None)
    used_then = (usage.active_users(con, previous.end) / licences_then
                 if adoption.active_users is not None and licences_then else None)
    support = adoption.support
    training = adoption.training
    now = {"usage": adoption.utilisation,
           "training": training.share if training else None,
           "support": support.current.within_target if support else None,
           "nps": score.score if score else None}
    reasons = {"usage": ("no usage data" if adoption.active_users is None else
                         "no licence count to compare the active users with"),
               "training": "no training data",
               "support": ("no support tickets" if support is None else
                           f"no ticket opened in {adoption.period.quarter} at least "
                           f"{support.target_hours} hours before its end"),
               "nps": ("no NPS data" if score is None else
                       f"no NPS answer in {adoption.period.quarter}")}
    before = {"usage": used_then,
              "training": training.previous_share if training else None,
              "support": support.previous.within_target if support and support.previous else None,
              "nps": score.previous.score if score and score.previous else None}
    return scoring.health(experiment.health, now, reasons, before, adoption.previous_reason)
