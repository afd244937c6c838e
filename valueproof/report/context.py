"""The template context: every word and number the QBR shows, already in the reader's language.

Input: the experiment definition, its results (stats + value stages) and the brand; output: a
plain dict for the Jinja2 template. Numbers go through `Formatter`, words through gettext.
"""

from __future__ import annotations

import datetime as dt
import math
from gettext import NullTranslations
from pathlib import Path

from valueproof._version import __version__
from valueproof.config import Experiment
from valueproof.config.brand import Brand
from valueproof.data.load import FEW_UNITS
from valueproof.report import adoption as adoption_report
from valueproof.report import grid_words
from valueproof.report import wording
from valueproof.report import charts, roi_words, words_rate_ratio
from valueproof.language.formatting import (Formatter,
                                          decimals_for_interval, unisolated)
from valueproof.language.words import Unit, Words, kpi_scale, with_unit
from valueproof.stats.results import KPIResult, Results
from valueproof.value.roi import shown_totals

STATUS_SYMBOL = {"achieved": "✓", "on_track": "→", "at_risk": "!", "not_achieved": "✗",
                 "inconclusive": "?", wording.UNCONFIRMED: wording.UNCONFIRMED_SYMBOL}
VERDICT_SYMBOL = {"improved": "▲", "worsened": "▼", "inconclusive": "●"}


def _cut_by_window(results: Results, kpi: KPIResult, time_kind: str) -> list[bool]:
    """Trend periods only partly inside the compared time (a week that starts before the
    window does, or ends after it): their values come from the days inside it."""
    from valueproof.data.panel import period_end

    if time_kind != "date" or results.period == "day":
        return [False] * len(kpi.trend)
    windows = {False: results.pre, True: results.post}
    cut = []
    for point in kpi.trend:
        start = dt.date.fromisoformat(point.period)
        window = windows[point.post]
        cut.append(not point.partial and (
            start < dt.date.fromisoformat(window["start"])
            or period_end(start, results.period) > dt.date.fromisoformat(window["end"])))
    return cut


def status_labels(words: Words) -> dict[str, str]:
    return {"achieved": words("Achieved"), "on_track": words("On track"),
            "at_risk": words("At risk"), "not_achieved": words("Not achieved"),
            "inconclusive": words("Inconclusive"),
            wording.UNCONFIRMED: wording.unconfirmed_label(words)}


def verdict_labels(words: Words) -> dict[str, str]:
    return {"improved": words("Improved"), "worsened": words("Got worse"),
            "inconclusive": words("Inconclusive")}


def _p_equals(fmt: Formatter, p: float | None) -> str | None:
    """'p = 0.54' or 'p < 0.001'; None without a p-value."""
    if p is None or not math.isfinite(p):
        return None
    shown = unisolated(fmt.p_value(p))
    # one unit, never broken across lines, left to right inside right-to-left text
    return fmt.joined(shown, "p\u00a0" if shown.startswith("<") else "p\u00a0=\u00a0")


def _p_text(words: Words, results: Results, kpi: KPIResult) -> str:
    """'p = 0.003; adjusted for 4 KPIs: p = 0.012' (for the detail box)."""
    p = _p_equals(words.fmt, kpi.p_value) or "–"
    if results.correction == "none" or len(results.kpis) < 2:
        return p
    adjusted = _p_equals(words.fmt, kpi.p_adjusted) or "–"
    return words.plural("%(p)s; adjusted for %(n)s KPI: %(adjusted)s",
                        "%(p)s; adjusted for %(n)s KPIs: %(adjusted)s", len(results.kpis), p=p,
                        n=len(results.kpis), adjusted=adjusted)


def effect_sentence(words: Words, results: Results, kpi: KPIResult, groups: dict[str, str]) -> str:
    """'Pilot agents: Average handle time fell by 2.5 min (−21%) compared with … (likely range
    −2.7 min to −2.2 min).' Plain words: the p-values are in the KPI's detail box."""
    fmt = words.fmt
    scale, _, change_unit = kpi_scale(kpi, words)
    amount = with_unit(fmt.number(abs(kpi.effect_units) * scale), change_unit)
    low = fmt.number(kpi.effect_units_low * scale, signed=True)  # the unit once, after high
    high = with_unit(fmt.number(kpi.effect_units_high * scale, signed=True), change_unit)
    relative = fmt.percent(kpi.relative_effect, signed=True) if kpi.relative_effect is not None else "–"
    direction = words("fell") if kpi.effect_units < 0 else words("rose")
    bounded = math.isfinite(kpi.effect_units_low) and math.isfinite(kpi.effect_units_high)
    interval = (words("likely range %(low)s to %(high)s", low=low, high=high) if bounded
                else words("no likely range: too few units to bound it"))
    if results.design == "staggered":
        return words.plural(
            "%(treatment)s: %(kpi)s %(direction)s by %(amount)s (%(relative)s) compared with "
            "%(control)s, on average across the %(n)s wave (%(interval)s).",
            "%(treatment)s: %(kpi)s %(direction)s by %(amount)s (%(relative)s) compared with "
            "%(control)s, on average across the %(n)s waves (%(interval)s).", len(results.waves),
            treatment=groups["treatment"], kpi=kpi.label, direction=direction, amount=amount,
            relative=relative, control=groups["control"], n=len(results.waves),
            interval=interval)
    if results.method == "did":
        return words(
            "%(treatment)s: %(kpi)s %(direction)s by %(amount)s (%(relative)s) compared with "
            "%(control)s (%(interval)s).",
            treatment=groups["treatment"], kpi=kpi.label, direction=direction, amount=amount,
            relative=relative, control=groups["control"], interval=interval)
    return words(
        "%(treatment)s: %(kpi)s %(direction)s by %(amount)s (%(relative)s) compared with before "
        "the rollout (%(interval)s).",
        treatment=groups["treatment"], kpi=kpi.label, direction=direction, amount=amount,
        relative=relative, interval=interval)


def magnitude(words: Words, kpi: KPIResult) -> str:
    """A KPI's change in the customer's terms, signed: '−21% (−2.5 min)', '+6.2 percentage
    points' (a rate's change is in points, never a % of a %), '−14%' (a log KPI)."""
    fmt = words.fmt
    if kpi.transform == "log" and kpi.relative_effect is not None:
        return fmt.percent(kpi.relative_effect, signed=True)
    scale, _, change_unit = kpi_scale(kpi, words)
    absolute = with_unit(fmt.number(kpi.effect_units * scale, signed=True), change_unit)
    if kpi.unit == "%" or kpi.relative_effect is None:
        return absolute
    return f"{fmt.percent(kpi.relative_effect, signed=True)} ({absolute})"


def _change_words(words: Words, kpi: KPIResult) -> str:
    """'Average handle time down 21% (2.5 min)': the headline's wording of one KPI."""
    fmt = words.fmt
    scale, _, change_unit = kpi_scale(kpi, words)
    absolute = with_unit(fmt.number(abs(kpi.effect_units) * scale), change_unit)
    if kpi.transform == "log" and kpi.relative_effect is not None:
        amount = fmt.percent(abs(kpi.relative_effect))
    elif kpi.unit == "%" or kpi.relative_effect is None:
        amount = absolute
    else:
        amount = f"{fmt.percent(abs(kpi.relative_effect))} ({absolute})"
    if kpi.effect_units < 0:
        return words("%(kpi)s down %(amount)s", kpi=kpi.label, amount=amount)
    return words("%(kpi)s up %(amount)s", kpi=kpi.label, amount=amount)


def inconclusive_text(words: Words, kpi: KPIResult) -> str:
    """What 'inconclusive' means for this KPI, the same words everywhere: not 'no change', but
    a change too small for this data, with the smallest it could have detected."""
    if not kpi.detectable:
        return words("not detectable with this design: too few units with the product")
    return words("too small to detect with this data: we could detect changes larger than "
                 "%(mde)s", mde=mde_text(words, kpi))


def verdict_note(words: Words, kpi: KPIResult) -> str:
    """The short note beside a KPI's badge on page 2 and in the plan."""
    if kpi.verdict == "inconclusive":
        return inconclusive_text(words, kpi)
    return magnitude(words, kpi)


def headline_sentence(words: Words, results: Results) -> str:
    """Page 2's first sentence: what improved and by how much, and what got worse (the priority
    for next quarter). 'Average handle time down 21% (2.5 min) and First-contact resolution up
    6.2 percentage points; Reopen rate up 6 percentage points is the priority for next
    quarter.'"""
    from babel.lists import format_list

    def listing(kpis):
        return format_list([_change_words(words, k) for k in kpis], locale=words.fmt.locale)

    improved = [k for k in results.kpis if k.verdict == "improved"]
    worsened = [k for k in results.kpis if k.verdict == "worsened"]
    if improved:
        wins = listing(improved)
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
    if kpi.verdict != "inconclusive" or not excludes_zero or len(results.kpis) < 2:
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


def _period_label(fmt: Formatter, period: str, time_kind: str) -> str:
    return fmt.day_month(period) if time_kind == "date" else period


def estimand_sentence(words: Words, kpi: KPIResult, names: dict[str, str | None],
                      period: str) -> str:
    """What the effect is per, in plain words (the analyst's nouns in parentheses, so no
    grammar depends on them)."""
    observation = f" ({names['observation']})" if names.get("observation") else ""
    unit = f" ({names['unit']})" if names.get("unit") else ""
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


def kpi_page(words: Words, results: Results, kpi: KPIResult, groups: dict[str, str],
             style: charts.ChartStyle, font_dir: Path, time_kind: str,
             names: dict[str, str | None]) -> dict:
    fmt = words.fmt
    scale, level_unit, change_unit = kpi_scale(kpi, words)
    staggered = results.design == "staggered"
    period = analysis_period(words, results, time_kind)
    trend_svg = figure = waves_sentence = means_note = None
    edges: list[bool] = []  # trend periods cut by the edge of the compared time
    if staggered:  # no common rollout date: the effect by time since each wave's rollout
        from valueproof.report import waves

        figure = waves.effect_figure(words, results, kpi, style, font_dir, groups, time_kind)
        waves_sentence = waves.meaning_sentence(words, results, names, time_kind)
        means_note = words("With the product: before and after each unit's own rollout; "
                           "comparison: before and after the first wave.")
    else:
        periods = [_period_label(fmt, p.period, time_kind) for p in kpi.trend]
        post = [p.post for p in kpi.trend]
        y_label = kpi.label + (f" ({level_unit})" if level_unit else "")
        edges = _cut_by_window(results, kpi, time_kind)
        trend_svg = charts.trend_chart(
            font_dir, style, periods, post,
            [(p.treatment, p.treatment_low, p.treatment_high) for p in kpi.trend],
            None if results.method != "did" else
            [(p.control, p.control_low, p.control_high) for p in kpi.trend],
            {name: label[:1].upper() + label[1:] for name, label in groups.items()}, scale,
            y_label, words("Rollout"), [p.partial for p in kpi.trend], edges)
    gap_unit = words("log points") if kpi.log_scale else change_unit
    event_svg = None
    if kpi.event_study and not staggered:
        event_svg = charts.event_study_chart(
            font_dir, style, [_period_label(fmt, p.period, time_kind) for p in kpi.event_study],
            [p.post for p in kpi.event_study],
            [(p.coefficient, p.ci_low, p.ci_high) for p in kpi.event_study],
            1.0 if kpi.log_scale else scale,
            words("Gap vs before") + (f" ({gap_unit})" if gap_unit else ""), kpi.effect)
    trend_status, trend_text = pre_trend_sentence(words, kpi, results.method, period, staggered)
    means = [(words("Before"), kpi.means.get("treatment_pre"), kpi.means.get("control_pre")),
             (words("After"), kpi.means.get("treatment_post"), kpi.means.get("control_post"))]
    # one precision for every number of this KPI, from its interval: never "9.440" beside "11.72"
    digits = decimals_for_interval(kpi.effect_units_low * scale, kpi.effect_units_high * scale)
    rel_digits = decimals_for_interval(
        None if kpi.relative_ci_low is None else kpi.relative_ci_low * 100,
        None if kpi.relative_ci_high is None else kpi.relative_ci_high * 100)
    level = lambda v: fmt.fixed(v * scale, digits) if v is not None else "–"  # noqa: E731
    relative = lambda v: fmt.percent_fixed(v, rel_digits, signed=True)  # noqa: E731
    robust = kpi.robustness
    return {
        "id": kpi.id, "label": kpi.label, "verdict": kpi.verdict,
        "verdict_label": verdict_labels(words)[kpi.verdict],
        "verdict_symbol": VERDICT_SYMBOL[kpi.verdict],
        "sentence": (words_rate_ratio.effect_sentence(words, results, kpi, groups, names, period,
                                                      change_unit) if kpi.model == "poisson"
                     else effect_sentence(words, results, kpi, groups)),
        "estimand_sentence": (words_rate_ratio.estimand_sentence(words, names, period)
                              if kpi.model == "poisson"
                              else estimand_sentence(words, kpi, names, period)),
        "waves_sentence": waves_sentence, "figure": figure, "means_note": means_note,
        "sensitivity_sentence": sensitivity_sentence(words, kpi, scale, change_unit),
        "has_partial": any(p.partial for p in kpi.trend),
        "has_cut": any(edges),
        "verdict_sentence": verdict_sentence(words, kpi),
        "adjusted_note": adjusted_note(words, kpi, results),
        "magnitude": verdict_note(words, kpi),
        "pre_trend_status": trend_status, "pre_trend_sentence": trend_text,
        "trend_svg": trend_svg, "event_svg": event_svg, "level_unit": str(level_unit),
        "means": [(name, level(t), level(c)) for name, t, c in means],
        # the detail box's table: units in the row labels, bare numbers in the cells
        "change_unit": str(change_unit),
        "effect": fmt.fixed(kpi.effect_units * scale, digits, signed=True),
        "ci": (fmt.fixed(kpi.effect_units_low * scale, digits, signed=True) + " … "
               + fmt.fixed(kpi.effect_units_high * scale, digits, signed=True)),
        "relative": relative(kpi.relative_effect),
        "relative_ci": (words("not estimable") if kpi.relative_effect is not None
                        and kpi.relative_ci_low is None and math.isfinite(kpi.se) else
                        relative(kpi.relative_ci_low) + " … " + relative(kpi.relative_ci_high)),
        "p": fmt.p_value(kpi.p_value), "p_adjusted": fmt.p_value(kpi.p_adjusted),
        "welch_p": fmt.p_value(robust.welch_p), "rank_p": fmt.p_value(robust.rank_p),
        "permutation_p": fmt.p_value(robust.permutation_p),
        "mde": mde_text(words, kpi),
        "mde_value": fmt.joined(words.fmt.percent(math.expm1(kpi.mde)) if kpi.log_scale
                                else fmt.number(kpi.mde * scale), "±"),
        "mde_unit": "%" if kpi.log_scale else str(change_unit),
        "p_text": _p_text(words, results, kpi),
        "pre_trend_p": _p_equals(fmt, kpi.pre_trend.p_value),
        "units": {arm: fmt.fixed(n, 0) for arm, n in kpi.n_units.items()},
        "n_obs": fmt.fixed(kpi.n_obs, 0),
    }


def progress_text(words: Words, criterion, kpi: KPIResult) -> str:
    """A goal's progress in words: '−21% of the −15% target', '+6.2 percentage points of the
    +8 target', '+91% against a target of −1.0%' (the wrong way), '4.08 points against a target
    of 4.3 points'; with the trend's projection when the deadline is ahead."""
    fmt = words.fmt
    scale, level_unit, change_unit = kpi_scale(kpi, words)
    if criterion.measured is None or not math.isfinite(criterion.measured):
        return "–"
    if criterion.kind == "relative":
        show = lambda v: fmt.percent(v, signed=True)  # noqa: E731
        measured, target, bare = show(criterion.measured), show(criterion.target), None
    elif criterion.kind == "level":
        show = lambda v: with_unit(fmt.number(v * scale, 3), level_unit)  # noqa: E731
        measured, target, bare = show(criterion.measured), show(criterion.target), None
    else:
        show = lambda v: with_unit(fmt.number(v * scale, 2, signed=True), change_unit)  # noqa: E731
        measured, target = show(criterion.measured), show(criterion.target)
        bare = fmt.number(criterion.target * scale, 3, signed=True)
    if criterion.progress is not None:
        text = words("%(measured)s of the %(target)s target", measured=measured,
                     target=bare or target)
    else:
        text = words("%(measured)s against a target of %(target)s", measured=measured,
                     target=target)
    if criterion.projected is not None and criterion.status in ("on_track", "at_risk"):
        text += words("; ") + words("at the current trend %(projected)s by the deadline",
                             projected=show(criterion.projected))
    return text


def criteria_rows(words: Words, results: Results) -> list[dict]:
    """The scorecard: every goal as agreed (with its dates), its progress in words, its status."""
    labels = status_labels(words)
    rows = []
    for criterion in results.criteria:
        kpi = results.kpi(criterion.kpi)
        rows.append({
            "goal": criterion.label or kpi.label, "kpi": kpi.label,
            "progress": progress_text(words, criterion, kpi), "status": criterion.status,
            "status_label": labels[criterion.status], "symbol": STATUS_SYMBOL[criterion.status],
            "confident": criterion.with_confidence, "note": wording.goal_note(words, criterion),
            "by": words.fmt.date(criterion.by, "medium"),
            "agreed_on": words.fmt.date(criterion.agreed_on, "medium"),
        })
    return rows


def roi_section(words: Words, results: Results, style: charts.ChartStyle, font_dir: Path) -> dict | None:
    roi = results.roi
    if roi is None:
        return None
    fmt, money = words.fmt, (lambda v: words.fmt.money(v, roi.currency, sig=None))
    # every figure a reader can add up does add up: prose rounds benefit and cost alike and
    # derives the net; tables show whole units and their totals are the sums of their rows
    benefit, cost, net = shown_totals(roi.benefit, roi.cost)
    whole = lambda v: round(v) if math.isfinite(v) else v  # noqa: E731  (an unbounded range: "–")
    rows = {name: [whole(getattr(b, name)) for b in roi.benefits]
            for name in ("total", "total_low", "total_high")}
    cost_rows = [whole(c.total) for c in roi.costs]
    percent = lambda v: fmt.percent(v, sig=3 if abs(v) >= 1 else 2)  # noqa: E731
    items = [(b.label, b.total, "benefit" if b.total >= 0 else "loss") for b in roi.benefits]
    items += [(c.label, -c.total, "cost") for c in roi.costs]
    items.append((words("Net value"), roi.net, "net"))
    chart = charts.roi_chart(font_dir, style, items,
                             words.plural("Over %(months)s month (%(currency)s)",
                                          "Over %(months)s months (%(currency)s)",
                                          roi.horizon_months, months=roi.horizon_months,
                                          currency=roi.currency),
                             fmt.compact)
    if roi.payback_months is None:
        payback = words("not within reach at the measured effects")
    elif roi.payback_months < 1:
        payback = words("within the first month")
    else:
        shown = fmt.number(roi.payback_months, 2)
        payback = words.plural("%(months)s month", "%(months)s months", shown, months=shown,
                               decimal=words.pgettext("decimal", "%(months)s months"))
    return {
        "headline": percent(roi.roi),
        "ratio": words("%(back)s back for every %(one)s spent",
                       back=fmt.money(roi.ratio, roi.currency, sig=None),
                       one=fmt.money(1, roi.currency, sig=1)),
        "range": roi_words.range_text(words, roi, percent),
        "note": roi_words.range_note(words, roi),
        "net": money(net), "benefit": money(benefit), "cost": money(cost), "payback": payback,
        "realised": roi_words.realised_text(words, roi, _realised(words, roi)),
        "months": roi.horizon_months, "currency": roi.currency, "chart": chart,
        "benefits": [{
            "label": b.label, "kpi": results.kpi(b.kpi).label,
            "volume": fmt.number(b.monthly_volume, 3),
            "value_per_unit": fmt.money(b.value_per_unit, roi.currency, sig=None),
            "total": money(total), "low": money(low), "high": money(high),
            "negative": b.total < 0,
        } for b, total, low, high in zip(roi.benefits, rows["total"], rows["total_low"],
                                         rows["total_high"])],
        "costs": [{"label": c.label, "total": money(shown),
                   "basis": (words("one-off") if c.once else
                             words("%(amount)s per %(period)s", amount=money(c.amount),
                                   period=period_name(words, c.per)))}
                  for c, shown in zip(roi.costs, cost_rows)],
        # the total's Low and High are the ends of its own range (`roi.benefit_low`, `_high`),
        # not the sums of the rows': benefits rarely sit at their worst ends all at once
        "totals": {"benefit": money(sum(rows["total"])), "benefit_low": money(whole(roi.benefit_low)),
                   "benefit_high": money(whole(roi.benefit_high)), "cost": money(sum(cost_rows)),
                   "net": money(sum(rows["total"]) - sum(cost_rows))},
    }


def _realised(words: Words, roi) -> str | None:
    """What the measured period itself returned, apart from the projection."""
    realised = roi.realised
    if not realised:
        return None
    fmt = words.fmt
    benefit, cost, _ = shown_totals(realised["benefit"], realised["cost"])
    return words.plural("Measured %(start)s – %(end)s: %(benefit)s of benefit against %(cost)s "
                        "of cost so far. The %(months)s-month figures are a projection at the "
                        "measured effects.", "Measured %(start)s – %(end)s: %(benefit)s of benefit "
                        "against %(cost)s of cost so far. The %(months)s-month figures are a "
                        "projection at the measured effects.", roi.horizon_months, start=fmt.date(realised["start"], "medium"),
                 end=fmt.date(realised["end"], "medium"),
                 benefit=fmt.money(benefit, roi.currency, sig=None),
                 cost=fmt.money(cost, roi.currency, sig=None), months=roi.horizon_months)


def analysis_period(words: Words, results: Results, time_kind: str) -> str:
    """The analysis period in words ('week'); integer periods (years, week numbers) are just
    'period', whatever `analysis.period` says."""
    return words("period") if time_kind == "period" else period_name(words, results.period)


def period_name(words: Words, per: str) -> str:
    return {"day": words("day"), "week": words("week"), "month": words("month"),
            "quarter": words("quarter"), "year": words("year")}[per]


def _plan_why(words: Words, kpi: KPIResult) -> str:
    """Why a KPI is in the plan, fitting its verdict."""
    if kpi.verdict == "worsened":
        return words("Got worse: %(change)s", change=magnitude(words, kpi))
    if kpi.verdict == "improved":
        return words("Improved (%(change)s), but short of its goal", change=magnitude(words, kpi))
    return words("Inconclusive: %(meaning)s", meaning=inconclusive_text(words, kpi))


def _default_action(words: Words, code: str, label: str) -> str:
    return {
        "worsened": words("Investigate why %(kpi)s got worse among the units that use the "
                          "product, and agree a fix with the customer.", kpi=label),
        "short_of_target": words("Agree with the customer how to close the gap to the "
                                 "target: wider use, training, or a later date."),
        "inconclusive": words("Gather more evidence: extend the pilot or add units, so that "
                              "smaller changes can be detected."),
        **adoption_report.default_actions(words), **wording.default_actions(words),
    }[code]


def plan_items(words: Words, results: Results) -> list[dict]:
    """The improvement plan: one entry per KPI, its open goals under it, its actions (a missing
    owner or date reads 'to agree'). The terminal prints the same texts (in English)."""
    labels = status_labels(words)
    to_agree = words("to agree")
    items = []
    for item in results.improvement_plan:
        kpi = results.kpi(item.kpi)
        actions = [{"do": a["do"], "owner": a.get("owner") or to_agree,
                    "by": words.fmt.date(a.get("by"), "medium") if a.get("by") else to_agree,
                    "owner_missing": not a.get("owner"), "by_missing": not a.get("by")}
                   for a in item.actions]
        if not actions:
            actions = [{"do": _default_action(words, item.default_action, item.label),
                        "owner": to_agree, "by": to_agree, "owner_missing": True,
                        "by_missing": True, "default": True}]
        goals = [{"label": g.label, "status": g.status, "status_label": labels[g.status],
                  "symbol": STATUS_SYMBOL[g.status]} for g in item.goals]
        items.append({"kpi": item.kpi, "label": item.label, "verdict": item.verdict,
                      "why": (wording.plan_why(words, item, magnitude(words, kpi))
                              or _plan_why(words, kpi)), "goals": goals, "actions": actions,
                      "reasons": adoption_report.plan_reasons(words, item.reasons)})
    return items


def next_steps(words: Words, plan: list[dict], next_quarter: list[dict], most: int = 5) -> list[dict]:
    """Page 2's next steps: the first action of each plan entry, most urgent first, then the
    goals for next quarter; at most `most`."""
    steps = [{"kpi": item["label"], **item["actions"][0]} for item in plan]
    steps += [{"kpi": None, "do": g["goal"], "owner": g["owner"], "by": g["by"],
               "owner_missing": g["owner_missing"], "by_missing": g["by_missing"]}
              for g in next_quarter]
    return steps[:most]


def finding_text(words: Words, finding: dict, labels: dict[str, str]) -> str:
    """A data-quality finding in the reader's language."""
    p, fmt = finding.get("params") or {}, words.fmt
    n = lambda key: fmt.fixed(p.get(key, 0), 0)  # noqa: E731
    count = lambda key: int(p.get(key, 0) or 0)  # noqa: E731
    rows_text = lambda: words.plural("%(rows)s row", "%(rows)s rows", count("rows"),  # noqa: E731
                                     rows=n("rows"))
    texts = {
        "duplicate_rows": lambda: words.plural(
            "%(rows)s row is an exact duplicate of another row; it was kept.",
            "%(rows)s rows are exact duplicates of another row; they were kept.", count("rows"),
            rows=n("rows")),
        "missing_keys": lambda: words.plural(
            "%(rows)s row has no value in column %(column)s and was not used.",
            "%(rows)s rows have no value in column %(column)s and were not used.", count("rows"),
            rows=n("rows"), column=p.get("column", "")),
        "units_in_neither_group": lambda: words.plural(
            "%(units)s unit (%(rows)s) belongs to neither group and was not used.",
            "%(units)s units (%(rows)s) belong to neither group and were not used.",
            count("units"), units=n("units"), rows=rows_text()),
        "units_switching_group": lambda: words.plural(
            "%(units)s unit appears in both groups and was not used (%(examples)s).",
            "%(units)s units appear in both groups and were not used (%(examples)s).",
            count("units"), units=n("units"), examples=p.get("examples", "")),
        "rows_outside_windows": lambda: words.plural(
            "%(rows)s row falls outside the compared periods and was not used.",
            "%(rows)s rows fall outside the compared periods and were not used.", count("rows"),
            rows=n("rows")),
        "units_one_side": lambda: words.plural(
            "%(units)s unit was seen only before or only after the rollout.",
            "%(units)s units were seen only before or only after the rollout.", count("units"),
            units=n("units")),
        "few_units": lambda: words.plural(
            "Only %(units)s unit in the group %(group)s: estimates are fragile.",
            "Only %(units)s units in the group %(group)s: estimates are fragile.",
            count("units"), units=n("units"), group=words("with the product") if p.get("group") == "treatment"
            else words("for comparison")),
        "missing_values": lambda: words.plural(
            "%(kpi)s: %(rows)s observation (%(share)s) has no value and was left out.",
            "%(kpi)s: %(rows)s observations (%(share)s) have no value and were left out.",
            count("rows"), kpi=labels.get(p.get("kpi"), p.get("kpi", "")), rows=n("rows"),
            share=fmt.percent(p.get("share", 0))),
        "negative_values": lambda: words.plural(
            "Column %(column)s has %(rows)s negative value in a KPI that adds values up; it was "
            "used as it is.", "Column %(column)s has %(rows)s negative values in a KPI that adds "
            "values up; they were used as they are.", count("rows"), column=p.get("column", ""), rows=n("rows")),
        "conflicting_rows": lambda: words.plural(
            "%(sets)s set of rows agrees on everything but the KPI values, which differ; all "
            "were kept.", "%(sets)s sets of rows agree on everything but the KPI values, which "
            "differ; all were kept.", count("sets"), sets=n("sets")),
        "units_without_rollout": lambda: words.plural(
            "%(units)s unit (%(rows)s) is not in the rollout file and was not used.",
            "%(units)s units (%(rows)s) are not in the rollout file and were not used.",
            count("units"), units=n("units"), rows=rows_text()),
        "repeated_units": lambda: words.plural(
            "%(lines)s line of %(file)s repeats a unit listed before with the same value; the "
            "unit was counted once.", "%(lines)s lines of %(file)s repeat a unit listed before "
            "with the same value; each unit was counted once.", count("lines"), lines=n("lines"),
            file=p.get("file", "")),
        "rollout_after_data": lambda: words.plural(
            "%(units)s unit got the product only after the data end; it counts as not yet "
            "treated throughout.", "%(units)s units got the product only after the data end; "
            "they count as not yet treated throughout.", count("units"), units=n("units")),
        "no_control_group": lambda: words(
            "No control group: a before/after comparison only, which cannot separate the "
            "product from seasonality or other changes."),
    }
    texts.update(grid_words.finding_texts(words, p, n, count))
    return texts[finding["kind"]]() if finding["kind"] in texts else finding["message"]


def kpi_warnings(words: Words, results: Results, kpi: KPIResult, labels: dict[str, str],
                 time_kind: str = "date") -> list[str]:
    """What weakens this KPI's evidence, in the reader's language (the pre-trend check has its
    own sentence)."""
    out = [finding_text(words, d, labels) for d in results.data_quality if d.get("kpi") == kpi.id]
    if kpi.model == "poisson":
        out += words_rate_ratio.warnings(words, kpi)
    if kpi.inference == "permutation":
        out.append(words("So few units are in a group that the usual standard errors are "
                         "unreliable; the p-value and interval shown come from the permutation "
                         "test."))
    if results.design == "staggered":
        from valueproof.report import waves

        out += waves.small_wave_warnings(words, results, time_kind)
    for arm, count in kpi.n_units.items():
        if 1 < count < FEW_UNITS or (count == 1 and arm == "control"):
            out.append(words.plural("Only %(units)s unit in the group %(group)s: treat the "
                                    "interval with caution.", "Only %(units)s units in the group "
                                    "%(group)s: treat the interval with caution.", int(count),
                                    units=words.fmt.fixed(count, 0),
                             group=words("with the product") if arm == "treatment"
                             else words("for comparison")))
    return out


def time_kind_of(experiment: Experiment, results: Results) -> str:
    """date | period: whether the report's times are dates or integer periods (a rollout in
    waves has no one rollout in the definition: its first wave's start says)."""
    if not experiment.staggered:
        return "date" if isinstance(experiment.rollout, dt.date) else "period"
    try:
        dt.date.fromisoformat(results.rollout)
    except ValueError:
        return "period"
    return "date"


def report_date(experiment: Experiment, results: Results) -> str:
    """The report's date (ISO text): `report_date`, else the end of the post window."""
    return experiment.report_date.isoformat() if experiment.report_date else results.post["end"]


def summary_paragraph(words: Words, context: dict) -> str:
    """The sentence after the headline: goals achieved, and the ROI with its likely range."""
    parts = []
    if context["criteria"]:
        achieved = sum(c["status"] == "achieved" for c in context["criteria"])
        parts.append(words.plural("Goals agreed at onboarding: %(achieved)s of %(total)s "
                                  "achieved.", "Goals agreed at onboarding: %(achieved)s of "
                                  "%(total)s achieved.", achieved, achieved=achieved,
                                  total=len(context["criteria"])))
        parts += filter(None, [wording.unconfirmed_sentence(words, context["criteria"])])
    roi = context["roi"]
    if roi:
        parts.append(words.plural("Projected over %(months)s month at the measured effects, "
                                  "the return on investment is %(roi)s (%(range)s): %(ratio)s.",
                                  "Projected over %(months)s months at the measured effects, "
                                  "the return on investment is %(roi)s (%(range)s): %(ratio)s.",
                                  roi["months"],
                           roi=roi["headline"], months=roi["months"], range=roi["range"],
                           ratio=roi["ratio"]))
    return " ".join(parts)


def build_context(experiment: Experiment, results: Results, brand: Brand,
                  catalogue: NullTranslations, locale: str, font_dir: Path) -> dict:
    fmt = Formatter(locale)
    time_kind = time_kind_of(experiment, results)
    date = report_date(experiment, results)
    words = Words(catalogue, fmt)
    style = charts.ChartStyle(primary=brand.primary, neutral=brand.neutral,
                              number=lambda value: unisolated(fmt.number(value, sig=6)))
    groups = {
        "treatment": experiment.groups.treatment_label or words("Units with the product"),
        "control": experiment.groups.control_label or words("comparison units"),
    }
    labels = {k.id: k.label for k in results.kpis}
    names = {"observation": experiment.data.observation_name, "unit": experiment.data.unit_name}
    kpis = [kpi_page(words, results, k, groups, style, font_dir, time_kind, names)
            for k in results.kpis]
    for page in kpis:
        page["warnings"] = kpi_warnings(words, results, results.kpi(page["id"]), labels, time_kind)
    context = {
        "lang": fmt.language, "dir": "rtl" if fmt.rtl else "ltr",
        "title": words("Quarterly Business Review"),
        "experiment": experiment.name,
        "customer": experiment.customer.name if experiment.customer else "",
        "vendor": experiment.vendor.name if experiment.vendor else "",
        "quarter": fmt.quarter(experiment.quarter) if experiment.quarter else "",
        "prepared_by": experiment.prepared_by or "",
        "report_date": fmt.date(date),
        "created": date if time_kind == "date" or experiment.report_date else "",
        "brand": brand, "groups": groups,
        "windows": words("%(pre_start)s – %(pre_end)s before and %(post_start)s – %(post_end)s "
                         "after the rollout on %(rollout)s",
                         pre_start=fmt.date(results.pre["start"], "medium"),
                         pre_end=fmt.date(results.pre["end"], "medium"),
                         post_start=fmt.date(results.post["start"], "medium"),
                         post_end=fmt.date(results.post["end"], "medium"),
                         rollout=fmt.date(results.rollout, "medium")),
        "kpis": kpis,
        "by_verdict": {v: [k["label"] for k in kpis if k["verdict"] == v]
                       for v in ("improved", "worsened", "inconclusive")},
        "criteria": criteria_rows(words, results),
        "roi": roi_section(words, results, style, font_dir),
        "plan": plan_items(words, results),
        "next_quarter": [{"goal": g["goal"], "owner": g.get("owner") or words("to agree"),
                          "by": fmt.date(g.get("by"), "medium") if g.get("by") else words("to agree"),
                          "owner_missing": not g.get("owner"), "by_missing": not g.get("by")}
                         for g in results.next_quarter],
        "method": results.method,
        "alpha": fmt.number(results.alpha, 2),
        "se": {"cluster": words("cluster-robust (by unit, CR2 with small-sample degrees of "
                                "freedom)"),
               "cr1": words("cluster-robust (by unit, CR1)"),
               "hc1": words("heteroskedasticity-robust (HC1)"),
               "iid": words("classical (iid)")}[results.se],
        "correction": {"holm": "Holm", "bh": "Benjamini–Hochberg", "bonferroni": "Bonferroni",
                       "none": words("no correction")}[results.correction],
        "seed": results.seed,
        "permutations_count": int(results.kpis[0].robustness.permutations) if results.kpis else 0,
        "permutations": fmt.fixed(results.kpis[0].robustness.permutations, 0)
        if results.kpis else "0",
        "data_quality": [finding_text(words, d, labels) for d in results.data_quality],
        "stamp": {"version": __version__, "definition": results.definition_hash,
                  "data": results.data_fingerprint},
        "pre_trend_labels": {"not_detected": words("none detected"),
                             "detected": words("detected"), "not_testable": words("not testable")},
    }
    if results.design == "staggered":
        from valueproof.report import waves

        context.update(waves.waves_context(words, results, groups, time_kind,
                                           experiment.analysis.bootstrap))
    context.update(adoption_report.extras(words, results, style, font_dir))
    context["headline"] = headline_sentence(words, results)
    context["summary_paragraph"] = summary_paragraph(words, context)
    context["next_steps"] = next_steps(words, context["plan"], context["next_quarter"])
    return context
