"""The words of a count KPI with `model: poisson` on its page: the effect as a rate ratio in
plain words ("Reps with the tool: Deals won rose by about 18%, 0.6 deals per unit (rep) and
week, compared with the other reps (likely range +5% to +33%)."), what it is measured per, and
what the Poisson fit left out. Its own module, named to sort last, so that its messages come
last in the extracted catalogue."""

from __future__ import annotations

import math

from valueproof.report.terms import named


def _bounded(kpi) -> bool:
    low, high = kpi.rate_ratio_ci_low, kpi.rate_ratio_ci_high
    return low is not None and high is not None and low > 0 and math.isfinite(high)


def effect_sentence(words, results, kpi, groups: dict[str, str], names: dict, period: str,
                    change_unit) -> str:
    """The KPI page's first sentence: the change in percent (RR - 1), its amount per unit and
    period in KPI units (the treated post mean x (1 - 1/RR)), and the likely range in percent."""
    fmt = words.fmt
    name = named(names, "unit")
    interval = (words("likely range %(low)s to %(high)s",
                      low=fmt.percent(kpi.relative_ci_low, signed=True),
                      high=fmt.percent(kpi.relative_ci_high, signed=True)) if _bounded(kpi)
                else words("no likely range: too few units to bound it"))
    values = dict(treatment=groups["treatment"], kpi=kpi.label,
                  direction=words("fell") if kpi.effect < 0 else words("rose"),
                  relative=fmt.percent(abs(kpi.relative_effect)),
                  amount=change_unit.after(fmt.number(abs(kpi.effect_units))), name=name,
                  period=period, interval=interval)
    if results.method == "did":
        return words("%(treatment)s: %(kpi)s %(direction)s by about %(relative)s, %(amount)s per "
                     "unit%(name)s and %(period)s, compared with %(control)s (%(interval)s).",
                     control=groups["control"], **values)
    return words("%(treatment)s: %(kpi)s %(direction)s by about %(relative)s, %(amount)s per "
                 "unit%(name)s and %(period)s, compared with before the rollout (%(interval)s).",
                 **values)


def estimand_sentence(words, names: dict, period: str) -> str:
    name = named(names, "unit")
    return words("Measured per unit%(name)s and %(period)s as a ratio of rates (Poisson "
                 "regression): the percentage compares the group's rate after the rollout with "
                 "the rate it would have had without the product, and the amount is the "
                 "difference between the two.", name=name, period=period)


def warnings(words, kpi) -> list[str]:
    """What the Poisson fit left out, in the reader's language."""
    out = []
    units = int(kpi.units_without_events or 0)
    if units:
        out.append(words.plural(
            "%(units)s unit had no events in the compared periods: it says nothing about a "
            "change in rate and is left out of the estimate (its zeros still count in the "
            "averages).", "%(units)s units had no events in the compared periods: they say "
            "nothing about a change in rate and are left out of the estimate (their zeros still "
            "count in the averages).", units, units=words.fmt.fixed(units, 0)))
    return out
