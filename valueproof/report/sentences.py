"""A KPI's change in plain words, the same everywhere the report states it: the effect sentence,
its size as a verdict's note ('−21% (−2.5 min)'), page 2's headline, what 'inconclusive' means
for it, and the sentences of its page (verdict, pre-trend check, what it is measured per, the
units that joined or left).

Numbers go through the report's `Formatter` and the words kit's units (`kpi_scale`: a rate's
change is in percentage points), words through gettext.
"""

from __future__ import annotations

import math

from valueproof.language.formatting import round_significant
from valueproof.language.words import Unit, Words, kpi_scale, with_unit
from valueproof.report.terms import named
from valueproof.stats.results import KPIResult, Results


def prose_decimals(value: float) -> int:
    """Decimals of `value` at two significant figures (2.47 -> 1, 5.98 -> 1, 21.4 -> 0)."""
    rounded = round_significant(value, 2)
    if rounded == 0 or not math.isfinite(rounded):
        return 0
    return max(0, 1 - int(math.floor(math.log10(abs(rounded)))))


def prose_number(fmt, value: float, signed: bool = False) -> str:
    """A figure in prose: two significant figures, a trailing zero kept ('+6.0', not '+6'), so
    it reads as the detail table's '+6.0' rounded, never as a different number."""
    if not math.isfinite(value):
        return fmt.number(value)
    return fmt.fixed(round_significant(value, 2), prose_decimals(value), signed=signed)


def figure_decimals(kpi: KPIResult, scale: float) -> tuple[int, int]:
    """The decimals of a KPI's detail figures, from its intervals: (change and levels in the
    KPI's unit, relative change in %). The PDF's detail box and the terminal show every figure
    of the KPI with them, so one figure has one precision: '+6.0 (+4.5 … +7.5)'."""
    from valueproof.language.formatting import decimals_for_interval

    relative = [None if v is None else v * 100 for v in (kpi.relative_ci_low, kpi.relative_ci_high)]
    return (decimals_for_interval(kpi.effect_units_low * scale, kpi.effect_units_high * scale),
            decimals_for_interval(*relative))


def in_sentence(fmt, label: str) -> str:
    """A KPI's label inside a sentence: a leading capital lowered when it only starts the label
    ('Reopen rate' -> 'reopen rate'), never an acronym ('CSAT', 'NPS'), a word with capitals
    inside it ('iOS', 'McKinsey') nor any label in German, whose nouns keep their capital."""
    first = label.split(" ", 1)[0]
    if (fmt.locale.language == "de" or len(first) < 2 or not first[0].isupper()
            or any(c.isupper() or c.isdigit() for c in first[1:])):
        return label
    head = {"I": "ı", "İ": "i"}.get(label[0], label[0].lower()) \
        if fmt.locale.language in ("tr", "az") else label[0].lower()
    return head + label[1:]


def change_parts(words: Words, kpi: KPIResult) -> dict[str, str]:
    """The parts of an effect sentence: the change's size ('2.5 min'), relative ('−21%'),
    direction ('fell') and likely range ('likely range −2.7 min to −2.2 min')."""
    fmt = words.fmt
    scale, _, change_unit = kpi_scale(kpi, words)
    low = fmt.number(kpi.effect_units_low * scale, signed=True)  # the unit once, after high
    high = with_unit(fmt.number(kpi.effect_units_high * scale, signed=True), change_unit)
    bounded = math.isfinite(kpi.effect_units_low) and math.isfinite(kpi.effect_units_high)
    return {
        "amount": with_unit(prose_number(fmt, abs(kpi.effect_units) * scale), change_unit),
        "relative": (fmt.percent(kpi.relative_effect, signed=True)
                     if kpi.relative_effect is not None else "–"),
        "direction": words("fell") if kpi.effect_units < 0 else words("rose"),
        "interval": (words("likely range %(low)s to %(high)s", low=low, high=high) if bounded
                     else words("no likely range: too few units to bound it")),
    }


def effect_sentence(words: Words, results: Results, kpi: KPIResult, groups: dict[str, str]) -> str:
    """'Pilot agents: Average handle time fell by 2.5 min (−21%) compared with … (likely range
    −2.7 min to −2.2 min).' Plain words: the p-values are in the KPI's detail box."""
    fmt = words.fmt
    parts = change_parts(words, kpi)
    amount, relative = parts["amount"], parts["relative"]
    direction, interval = parts["direction"], parts["interval"]
    if results.design == "staggered":
        return words.plural(
            "%(treatment)s: %(kpi)s %(direction)s by %(amount)s (%(relative)s) compared with "
            "%(control)s, on average across the %(n)s wave (%(interval)s).",
            "%(treatment)s: %(kpi)s %(direction)s by %(amount)s (%(relative)s) compared with "
            "%(control)s, on average across the %(n)s waves (%(interval)s).", len(results.waves),
            treatment=groups["treatment"], kpi=in_sentence(fmt, kpi.label), direction=direction,
            amount=amount,
            relative=relative, control=groups["control"], n=len(results.waves),
            interval=interval)
    if results.method == "did":
        return words(
            "%(treatment)s: %(kpi)s %(direction)s by %(amount)s (%(relative)s) compared with "
            "%(control)s (%(interval)s).",
            treatment=groups["treatment"], kpi=in_sentence(fmt, kpi.label), direction=direction,
            amount=amount,
            relative=relative, control=groups["control"], interval=interval)
    return words(
        "%(treatment)s: %(kpi)s %(direction)s by %(amount)s (%(relative)s) compared with before "
        "the rollout (%(interval)s).",
        treatment=groups["treatment"], kpi=in_sentence(fmt, kpi.label), direction=direction,
        amount=amount,
        relative=relative, interval=interval)


def magnitude(words: Words, kpi: KPIResult, signed: bool = True) -> str:
    """A KPI's change in the customer's terms: signed '−21% (−2.5 min)', '+6.2 percentage
    points' (a rate's change is in points, never a % of a %), '−14%' (a log KPI); unsigned its
    size ('21% (2.5 min)'), for a sentence that says the direction in words."""
    fmt = words.fmt
    size = (lambda v: v) if signed else abs
    relative = (None if kpi.relative_effect is None
                else fmt.percent(size(kpi.relative_effect), signed=signed))
    if kpi.transform == "log" and relative is not None:
        return relative
    scale, _, change_unit = kpi_scale(kpi, words)
    absolute = with_unit(prose_number(fmt, size(kpi.effect_units) * scale, signed=signed),
                         change_unit)
    if kpi.unit == "%" or relative is None:
        return absolute
    return f"{relative} ({absolute})"


def starting_levels(words: Words, kpi: KPIResult) -> tuple[str, str] | None:
    """The units with the product before and after the rollout ('7.3%', '12.6%'), at the
    decimals of the change as page 2 words it; None for a log KPI (its means are logs) or
    without both means."""
    before, after = kpi.means.get("treatment_pre"), kpi.means.get("treatment_post")
    if kpi.log_scale or before is None or after is None:
        return None
    scale, level_unit, _ = kpi_scale(kpi, words)
    digits = prose_decimals(kpi.effect_units * scale)
    return tuple(with_unit(words.fmt.fixed(v * scale, digits), level_unit) for v in (before, after))


def _change_words(words: Words, kpi: KPIResult, first: bool) -> str:
    """'Average handle time down 21% (2.5 min)': the headline's wording of one KPI, its label
    in sentence case unless it starts the sentence."""
    amount = magnitude(words, kpi, signed=False)
    label = kpi.label if first else in_sentence(words.fmt, kpi.label)
    if kpi.effect_units < 0:
        return words("%(kpi)s down %(amount)s", kpi=label, amount=amount)
    return words("%(kpi)s up %(amount)s", kpi=label, amount=amount)


def inconclusive_text(words: Words, kpi: KPIResult) -> str:
    """What 'inconclusive' means for this KPI, the same words everywhere: not 'no change', but
    a change too small for this data, with the smallest it could have detected."""
    if kpi.method == "synthetic_did" and kpi.synthetic and kpi.synthetic["pre_fit"] == "poor":
        return words("not called: before the rollout the comparable accounts did not follow "
                     "this account closely enough")
    if not kpi.detectable and kpi.method == "synthetic_did":
        return words("not detectable with this design: too few comparable accounts")
    if not kpi.detectable:
        return words("not detectable with this design: too few units with the product")
    return words("too small to detect with this data: we could detect changes larger than "
                 "%(mde)s", mde=mde_text(words, kpi))


def verdict_note(words: Words, kpi: KPIResult) -> str:
    """The short note beside a KPI's badge on page 2: its change and where the units with the
    product started ('+6.0 percentage points from a starting level of 7.3%')."""
    if kpi.verdict == "inconclusive":
        return inconclusive_text(words, kpi)
    levels = starting_levels(words, kpi)
    if levels is None:
        return magnitude(words, kpi)
    # the starting level only: the group's own before/after difference is not the effect (the
    # comparison units moved too), so an ending level beside the change would read as a sum
    # that does not add up
    return words("%(change)s from a starting level of %(before)s", change=magnitude(words, kpi),
                 before=levels[0])


def headline_sentence(words: Words, results: Results) -> str:
    """Page 2's first sentence: what improved and by how much, and what got worse (the priority
    for next quarter). 'Average handle time down 21% (2.5 min) and First-contact resolution up
    6.2 percentage points; Reopen rate up 6 percentage points is the priority for next
    quarter.'"""
    from babel.lists import format_list

    def listing(kpis, first=False):
        return format_list([_change_words(words, k, first and i == 0) for i, k in enumerate(kpis)],
                           locale=words.fmt.locale)

    improved = [k for k in results.kpis if k.verdict == "improved"]
    worsened = [k for k in results.kpis if k.verdict == "worsened"]
    if improved:
        wins = listing(improved, first=True)
    elif worsened:
        wins = words("No KPI improved measurably yet")
    else:
        return words("No KPI changed by more than this data can detect yet: the results are "
                     "inconclusive.")
    if not worsened:
        text = words("%(wins)s.", wins=wins)
    elif len(worsened) == 1:
        text = words("%(wins)s; %(losses)s is the priority for next quarter.", wins=wins,
                     losses=listing(worsened))
    else:
        text = words("%(wins)s; %(losses)s are the priorities for next quarter.", wins=wins,
                     losses=listing(worsened))
    # a unit ending in a full stop ("pkt proc.") ends the sentence: one full stop, not two
    return text[:-1] if text.endswith("..") else text


def mde_text(words: Words, kpi: KPIResult) -> str:
    scale, _, change_unit = kpi_scale(kpi, words)
    if kpi.log_scale:
        return words.fmt.joined(words.fmt.percent(math.expm1(kpi.mde)), "±")
    return with_unit(words.fmt.joined(words.fmt.number(kpi.mde * scale), "±"), change_unit)


def verdict_sentence(words: Words, kpi: KPIResult) -> str:
    """The verdict in plain words, under the effect sentence of the KPI's page."""
    if not kpi.detectable:
        treated = int(kpi.n_units.get("treatment", 0))
        return words.plural(
            "Not detectable with this design: with %(n)s unit with the product, no effect "
            "however large could reach significance (the smallest possible p-value is %(p)s).",
            "Not detectable with this design: with %(n)s units with the product, no effect "
            "however large could reach significance (the smallest possible p-value is %(p)s).",
            treated, n=words.fmt.fixed(treated, 0),
                     p=words.fmt.number(kpi.smallest_p, 2))
    if kpi.verdict == "improved":
        return words("An improvement: the change is larger than chance would explain.")
    if kpi.verdict == "worsened":
        return words("A deterioration: the change went the wrong way, and by more than chance "
                     "would explain.")
    return words("Inconclusive: %(meaning)s. That is not the same as no change.",
                 meaning=inconclusive_text(words, kpi))


def adjusted_note(words: Words, kpi: KPIResult, results: Results) -> str | None:
    """For the detail box: why an interval that excludes zero is still not significant."""
    excludes_zero = kpi.ci_low > 0 or kpi.ci_high < 0
    poor_fit = bool(kpi.synthetic) and kpi.synthetic["pre_fit"] == "poor"  # its own reason
    if kpi.verdict != "inconclusive" or not excludes_zero or len(results.kpis) < 2 or poor_fit:
        return None
    return words.plural(
        "Its 95%% interval alone excludes zero, but with %(k)s KPI tested at once the "
        "adjusted p-value (%(p)s) is not below %(alpha)s, so the change is not called "
        "significant.",
        "Its 95%% interval alone excludes zero, but with %(k)s KPIs tested at once the "
        "adjusted p-value (%(p)s) is not below %(alpha)s, so the change is not called "
        "significant.", len(results.kpis), k=words.fmt.fixed(len(results.kpis), 0),
        p=words.fmt.p_value(kpi.p_adjusted), alpha=words.fmt.number(results.alpha, 2))


def pre_trend_sentence(words: Words, kpi: KPIResult, method: str, period: str,
                       waves: bool = False) -> tuple[str, str]:
    trend = kpi.pre_trend
    if trend.status == "not_detected":
        text = (words("Before their rollouts the waves moved like the comparison units: no "
                      "difference in trends was detected.") if waves else
                words("Before the rollout no difference between the groups' trends was "
                      "detected."))
        if trend.detectable_trend is not None and math.isfinite(trend.detectable_trend):
            scale, _, change_unit = kpi_scale(kpi, words)
            size = (words.fmt.percent(math.expm1(abs(trend.detectable_trend)), 2)
                    if kpi.log_scale else
                    with_unit(words.fmt.number(abs(trend.detectable_trend) * scale, 2), change_unit))
            text += " " + words("The check would have noticed a difference in trends of about "
                                "%(size)s per %(period)s.", size=size, period=period)
        return "not_detected", text
    if trend.status == "detected" and waves:
        return "detected", words("Caution: before their rollouts the waves already moved "
                                 "differently from the comparison units, so part of this "
                                 "difference may not be due to the product.")
    if trend.status == "detected":
        return "detected", words("Caution: before the rollout the groups' trends differed, so "
                                 "part of this difference may not be due to the product.")
    why = (words("there is no control group") if method == "pre_post"
           else words("too few periods or units before the rollout"))
    return "not_testable", words("The pre-trend check could not be run: %(why)s.", why=why)


def estimand_sentence(words: Words, kpi: KPIResult, names: dict[str, str | None],
                      period: str) -> str:
    """What the effect is per, in plain words (the analyst's nouns in parentheses, so no
    grammar depends on them)."""
    observation = named(names, "observation")
    unit = named(names, "unit")
    if kpi.estimand == "per_observation":
        return words("Measured per observation%(name)s: each one counts once, so busier units "
                     "weigh more.", name=observation)
    if kpi.estimand == "pooled_ratio":
        return words("Measured as a pooled rate: all of a group's observations%(name)s together, "
                     "so each one counts once.", name=observation)
    if kpi.aggregate in ("count", "sum"):
        return words("Measured per unit%(name)s and %(period)s: each unit counts once in every "
                     "%(period)s, and a %(period)s without activity counts as zero.",
                     name=unit, period=period)
    return words("Measured per unit%(name)s and %(period)s: each unit counts once in every "
                 "%(period)s.", name=unit, period=period)


def sensitivity_sentence(words: Words, kpi: KPIResult, scale: float, change_unit: Unit) -> str | None:
    """Units joining or leaving around the rollout, and the effect without them."""
    moved = {arm: (a.get("left", 0), a.get("joined", 0)) for arm, a in kpi.attrition.items()}
    if not kpi.sensitivity or not any(left or joined for left, joined in moved.values()):
        return None
    fmt = words.fmt
    left = sum(m[0] for m in moved.values())
    joined = sum(m[1] for m in moved.values())
    s = kpi.sensitivity
    if kpi.log_scale:
        value = lambda v: fmt.percent(math.expm1(v), 2, signed=True)  # noqa: E731
    else:
        value = lambda v: with_unit(fmt.number(v * scale, 3, signed=True), change_unit)  # noqa: E731
    moved = words.plural("%(left)s unit was seen only before the rollout and %(joined)s only "
                         "after it.", "%(left)s units were seen only before the rollout and "
                         "%(joined)s only after it.", int(left), left=fmt.fixed(left, 0),
                         joined=fmt.fixed(joined, 0))
    both = words.plural("On the %(units)s unit seen on both sides the effect is %(effect)s "
                        "(likely range %(low)s to %(high)s).", "On the %(units)s units seen on "
                        "both sides the effect is %(effect)s (likely range %(low)s to %(high)s).",
                        int(s["units"]), units=fmt.fixed(s["units"], 0), effect=value(s["effect"]),
                        low=value(s["ci_low"]), high=value(s["ci_high"]))
    return f"{moved} {both}"
