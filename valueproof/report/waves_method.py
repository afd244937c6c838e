"""The appendix's "How these results were measured" for a rollout in waves: the design (each
wave against the units without the product yet, Callaway and Sant'Anna's group-time effects), how
the headline averages them and how sure it is, the bands of the charts, and the permutation test
with few units."""

from __future__ import annotations

import math

from valueproof.language.words import Words
from valueproof.report.terms import analysis_period, analysis_periods, correction_name
from valueproof.stats.results import Results


def method_paragraphs(words: Words, results: Results, groups: dict[str, str], time_kind: str,
                      bootstrap: int) -> list[str]:
    """The appendix's 'How these results were measured' for a rollout in waves."""
    fmt = words.fmt
    periods = analysis_periods(words, results, time_kind)
    period = analysis_period(words, results, time_kind)
    if results.comparison == "not_yet_treated":
        comparison = words("the units that did not have the product yet at the time (%(control)s, "
                           "and the later waves until their own rollout)",
                           control=groups["control"])
    else:
        comparison = words("the units that never got the product (%(control)s)",
                           control=groups["control"])
    design = words.plural(
        "The product was rolled out in %(n)s wave, one group of units after another "
        "(%(treatment)s). Each wave is compared with %(comparison)s over the same %(periods)s: "
        "the wave's change since the last %(period)s before its own rollout, minus the "
        "comparison units' change over the same %(periods)s. This gives one effect for every "
        "wave and %(period)s (the group-time effects of Callaway and Sant'Anna, ATT(g,t)). A "
        "wave is never compared with waves that already have the product, so an effect that "
        "builds up over time cannot distort the result, as it can in an ordinary regression "
        "over waves.",
        "The product was rolled out in %(n)s waves, one group of units after another "
        "(%(treatment)s). Each wave is compared with %(comparison)s over the same %(periods)s: "
        "the wave's change since the last %(period)s before its own rollout, minus the "
        "comparison units' change over the same %(periods)s. This gives one effect for every "
        "wave and %(period)s (the group-time effects of Callaway and Sant'Anna, ATT(g,t)). A "
        "wave is never compared with waves that already have the product, so an effect that "
        "builds up over time cannot distort the result, as it can in an ordinary regression "
        "over waves.", len(results.waves), n=fmt.fixed(len(results.waves), 0), treatment=groups["treatment"],
        comparison=comparison, periods=periods, period=period)
    df = results.kpis[0].df if results.kpis else float("nan")
    # named before the message: Babel's extraction takes a bare `words` inside its call for a
    # message of its own (and would lose the plural)
    correction = correction_name(words, results.correction)
    inference = words.plural(
        "The headline effect of each KPI is the average across waves: each wave's average "
        "effect over the %(periods)s since its rollout, averaged over the waves weighted by "
        "their number of units. Averages count every observation once (rates pool all "
        "observations), and counts are per unit and %(period)s. Uncertainty comes from each "
        "unit's influence on the estimates, clustered by unit (so a unit resembling itself over "
        "time is allowed for), with a t distribution on %(df)s degree of freedom (the units of "
        "the smaller group minus one). A change is called significant when its p-value, "
        "adjusted for testing several KPIs at once (%(correction)s), is below %(alpha)s. The "
        "waves were not necessarily chosen at random; the pre-trend check tests whether they "
        "moved like the comparison units before their rollouts.",
        "The headline effect of each KPI is the average across waves: each wave's average "
        "effect over the %(periods)s since its rollout, averaged over the waves weighted by "
        "their number of units. Averages count every observation once (rates pool all "
        "observations), and counts are per unit and %(period)s. Uncertainty comes from each "
        "unit's influence on the estimates, clustered by unit (so a unit resembling itself over "
        "time is allowed for), with a t distribution on %(df)s degrees of freedom (the units of "
        "the smaller group minus one). A change is called significant when its p-value, "
        "adjusted for testing several KPIs at once (%(correction)s), is below %(alpha)s. The "
        "waves were not necessarily chosen at random; the pre-trend check tests whether they "
        "moved like the comparison units before their rollouts.",
        int(round(df)) if math.isfinite(df) else 0, periods=periods, period=period,
        df=fmt.fixed(df, 0),
        correction=correction,
        alpha=fmt.number(results.alpha, 2))
    if bootstrap:
        bands = words.plural("The bars in the charts of the effect by time since rollout are "
                             "simultaneous 95%% bands: %(draws)s multiplier-bootstrap draw "
                             "(seed %(seed)s) widens them so that together they cover every "
                             "point's true value with 95%% probability.",
                             "The bars in the charts of the effect by time since rollout are "
                             "simultaneous 95%% bands: %(draws)s multiplier-bootstrap draws "
                             "(seed %(seed)s) widen them so that together they cover every "
                             "point's true value with 95%% probability.", bootstrap, draws=fmt.fixed(bootstrap, 0),
                      seed=results.seed)
    else:
        bands = words("The bars in the charts of the effect by time since rollout are "
                      "pointwise 95%% intervals: each covers its own point's true value with 95%% "
                      "probability, not all of them at once.")
    paragraphs = [design, inference, bands]
    permuted = [k for k in results.kpis if k.inference == "permutation"]
    if permuted:
        draws = int(permuted[0].robustness.permutations)
        paragraphs.append(words.plural(
            "With so few units, the p-value and interval of %(kpis)s come from a permutation "
            "test instead: the rollout dates are reassigned at random across units %(draws)s "
            "time (seed %(seed)s), keeping the waves' sizes.",
            "With so few units, the p-value and interval of %(kpis)s come from a permutation "
            "test instead: the rollout dates are reassigned at random across units %(draws)s "
            "times (seed %(seed)s), keeping the waves' sizes.", draws,
            kpis=fmt.names([k.label for k in permuted]),
            draws=fmt.fixed(permuted[0].robustness.permutations, 0), seed=results.seed))
    return paragraphs
