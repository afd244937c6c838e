"""What a rollout in waves adds to the QBR: the waves block, the effect-by-time chart and its
caption, what "average across waves" means, the wave x period tables and the other averages (the
appendix's account of the method is in `waves_method`).

Input: results of design "staggered" (`Results.waves`, `KPIResult.aggregations`,
`KPIResult.group_time`); output: words and plain dicts for the template. Numbers go through the
report's `Formatter`, words through gettext, as in `context`.
"""

from __future__ import annotations

import math
from pathlib import Path

from valueproof.data.thresholds import SMALL_WAVE
from valueproof.language.words import Words, kpi_scale, with_unit
from valueproof.report import charts
from valueproof.report.terms import analysis_period, analysis_periods, named
from valueproof.report.waves_method import method_paragraphs
from valueproof.stats.results import KPIResult, Results

MOST_ROWS = 26  # rows of a wave x period table before only every n-th period is shown


def since_label(words: Words, period: str, time_kind: str) -> str:
    """Axis and column title: 'Weeks since rollout'."""
    if time_kind == "period":
        return words("Periods since rollout")
    return {"day": words("Days since rollout"), "week": words("Weeks since rollout"),
            "month": words("Months since rollout"),
            "quarter": words("Quarters since rollout")}[period]


def _when(words: Words, value: str, time_kind: str) -> str:
    """A wave's date (kept on one line) or integer period."""
    return words.fmt.date(value, "medium").replace(" ", "\u00a0") if time_kind == "date" else value


def wave_name(words: Words, number: int) -> str:
    return words("Wave %(number)s", number=number)


def rollout_span(words: Words, results: Results, time_kind: str) -> str:
    """'rollouts in 3 waves from 16 Feb 2026 to 27 Apr 2026' (one wave: its date)."""
    waves = results.waves
    first = _when(words, waves[0]["first_rollout"], time_kind)
    if len(waves) == 1:
        return words("one rollout wave, from %(date)s", date=first)
    last = _when(words, waves[-1]["first_rollout"], time_kind)
    return words.plural("rollouts in %(n)s wave from %(first)s to %(last)s",
                        "rollouts in %(n)s waves from %(first)s to %(last)s", len(waves),
                        n=len(waves), first=first, last=last)


def period_compared(words: Words, results: Results, time_kind: str) -> str:
    """The cover's 'Period compared' for a rollout in waves: the data used and the waves."""
    return words("%(start)s – %(end)s; %(rollouts)s",
                 start=_when(words, results.pre["start"], time_kind),
                 end=_when(words, results.post["end"], time_kind),
                 rollouts=rollout_span(words, results, time_kind))


def comparison_units(results: Results) -> int:
    return max((k.n_units.get("control", 0) for k in results.kpis), default=0)


def summary_sentence(words: Words, results: Results, groups: dict[str, str],
                     time_kind: str) -> str:
    """Page 2: who got the product when, and who the comparison is."""
    fmt = words.fmt
    treated = sum(w["units"] for w in results.waves)
    control = groups["control"]
    count = comparison_units(results)
    units = fmt.fixed(count, 0)
    if results.comparison == "not_yet_treated" and not comparison_units(results):
        comparison = words("Each wave is compared with the waves that did not have it yet at "
                           "the time.")
    elif results.comparison == "not_yet_treated":
        comparison = words.plural(
            "Each wave is compared with the %(units)s unit that never got it (%(control)s) and "
            "with the waves that did not have it yet at the time.",
            "Each wave is compared with the %(units)s units that never got it (%(control)s) and "
            "with the waves that did not have it yet at the time.", count, control=control,
            units=units)
    else:
        comparison = words.plural(
            "Each wave is compared with the %(units)s unit that never got it (%(control)s).",
            "Each wave is compared with the %(units)s units that never got it (%(control)s).",
            count, control=control, units=units)
    waves = results.waves
    first = _when(words, waves[0]["first_rollout"], time_kind)
    if len(waves) == 1:
        reached = words.plural("The product reached %(units)s unit in one wave, from %(date)s.",
                               "The product reached %(units)s units in one wave, from %(date)s.",
                               treated, units=fmt.fixed(treated, 0), date=first)
    else:
        # two counts: the waves are a phrase of their own ("in 3 waves", "w 3 falach")
        in_waves = words.plural("in %(n)s wave", "in %(n)s waves", len(waves), n=len(waves))
        last = _when(words, waves[-1]["first_rollout"], time_kind)
        reached = words.plural("The product reached %(units)s unit %(in_waves)s, from %(first)s "
                               "to %(last)s.", "The product reached %(units)s units %(in_waves)s, "
                               "from %(first)s to %(last)s.", treated,
                               units=fmt.fixed(treated, 0), in_waves=in_waves, first=first,
                               last=last)
    return reached + " " + comparison


def meaning_sentence(words: Words, results: Results, names: dict[str, str | None],
                     time_kind: str) -> str:
    """What 'average across waves' is, in plain words."""
    from babel.lists import format_list

    unit = named(names, "unit")
    sizes = format_list([words.fmt.fixed(w["units"], 0) for w in results.waves],
                        locale=words.fmt.locale)
    periods = analysis_periods(words, results, time_kind)
    return words.plural("The average effect across waves is each wave's average effect over "
                        "the %(periods)s since its own rollout, averaged over the %(n)s wave "
                        "weighted by its number of units%(unit)s: %(sizes)s.",
                        "The average effect across waves is each wave's average effect over "
                        "the %(periods)s since its own rollout, averaged over the %(n)s waves "
                        "weighted by their number of units%(unit)s: %(sizes)s.", len(results.waves),
                        periods=periods, n=len(results.waves), unit=unit, sizes=sizes)


def waves_block(words: Words, results: Results, groups: dict[str, str], time_kind: str) -> dict:
    """The 'Rollout waves' table: each wave, then the comparison group."""
    fmt = words.fmt
    post_periods: dict[str, int] = {}
    for row in results.kpis[0].group_time if results.kpis else []:
        if row["post"]:
            post_periods[row["cohort"]] = post_periods.get(row["cohort"], 0) + 1
    rows = [{"name": wave_name(words, i), "start": _when(words, w["start"], time_kind),
             "first_rollout": _when(words, w["first_rollout"], time_kind),
             "units": fmt.fixed(w["units"], 0),
             "periods": fmt.fixed(post_periods.get(w["start"], 0), 0)}
            for i, w in enumerate(results.waves, start=1)]
    if results.comparison == "not_yet_treated" and not comparison_units(results):
        note = words("no unit is never treated: the later waves are the comparison until their "
                     "own rollout")
    elif results.comparison == "not_yet_treated":
        note = words("never treated; the later waves also count as comparison until their own "
                     "rollout")
    else:
        note = words("never treated")
    period = results.period if time_kind == "date" else None
    first = (words("First period with the product") if period is None else
             {"day": words("First day with the product"),
              "week": words("First week with the product"),
              "month": words("First month with the product"),
              "quarter": words("First quarter with the product")}[period])
    with_product = (words("Periods with the product in the data") if period is None else
                    {"day": words("Days with the product in the data"),
                     "week": words("Weeks with the product in the data"),
                     "month": words("Months with the product in the data"),
                     "quarter": words("Quarters with the product in the data")}[period])
    return {
        "rows": rows,
        "show_first_rollout": any(w["first_rollout"] != w["start"] for w in results.waves),
        "first_header": first, "periods_header": with_product,
        "comparison": {"label": (words("Comparison: %(group)s", group=groups["control"])
                                 if groups["control"] != words("comparison units")
                                 else words("Comparison units")),
                       "units": fmt.fixed(comparison_units(results), 0), "note": note},
        "treatment": groups["treatment"],
    }


def _figures(words: Words, kpi: KPIResult) -> tuple[callable, int, str]:
    """How a KPI's effects are shown in tables: (value -> number, decimals, unit). Decimals
    follow the headline's standard error (two significant figures of it)."""
    scale, _, change_unit = kpi_scale(kpi, words)
    if kpi.transform == "log":
        convert, unit, spread = (lambda v: math.expm1(v) * 100), "%", kpi.se * 100
    else:
        convert, unit, spread = (lambda v: v * scale), change_unit, kpi.se * scale
    decimals = 2
    if spread and math.isfinite(spread) and spread > 0:
        decimals = min(4, max(0, 1 - math.floor(math.log10(spread))))
    return convert, decimals, unit


def effect_figure(words: Words, results: Results, kpi: KPIResult, style: charts.ChartStyle,
                  font_dir: Path, groups: dict[str, str], time_kind: str) -> dict:
    """The KPI page's chart: the effect by time since rollout, with its caption."""
    aggregations = kpi.aggregations or {}
    dynamic = aggregations.get("dynamic") or []
    simultaneous = aggregations.get("band") == "simultaneous"
    scale, _, change_unit = kpi_scale(kpi, words)
    unit = words("log points") if kpi.transform == "log" else change_unit
    low, high = ("band_low", "band_high") if simultaneous else ("ci_low", "ci_high")
    svg = charts.dynamic_chart(
        font_dir, style,
        [row["event_time"] for row in dynamic],
        [(row["att"], row.get(low), row.get(high)) for row in dynamic],
        1.0 if kpi.transform == "log" else scale,
        words("Effect") + (f" ({unit})" if unit else ""),
        since_label(words, results.period, time_kind), words("Rollout"), kpi.effect,
        words("Average across waves"))
    caption = [words("The effect in each %(period)s since the waves' own rollouts (0 = the first "
                     "%(period)s with the product): how far the waves' KPI moved compared with "
                     "%(control)s.", control=groups["control"],
                     period=analysis_period(words, results, time_kind))]
    caption.append(
        words("The bars are likely ranges, widened so that together they cover every point's "
              "true value with 95%% probability (a simultaneous band).") if simultaneous else
        words("The bars are likely ranges: each covers its own point's true value with 95%% "
              "probability, not all of them at once."))
    caption.append(
        words("Before the rollout (grey, open circles) each point compares a %(period)s with "
              "the one before it, so they should scatter around zero.",
              period=analysis_period(words, results, time_kind))
        if results.base_period != "universal" else
        words("Before the rollout (grey, open circles) each point compares a %(period)s with "
              "the last one before the rollout, so they should scatter around zero.",
              period=analysis_period(words, results, time_kind)))
    caption.append(words("The dashed line is the average effect across waves; far from the "
                         "rollout fewer waves contribute, so those points are less precise."))
    return {"svg": svg, "caption": " ".join(caption)}


def group_time_table(words: Words, results: Results, kpi: KPIResult, time_kind: str) -> dict:
    """The wave x period effects ATT(g,t) after each wave's rollout: rows are periods since
    rollout, columns the waves, each cell the effect with its 95% interval; a last row with each
    wave's own average. Long tables show every n-th period."""
    fmt = words.fmt
    convert, decimals, unit = _figures(words, kpi)
    cohorts = [w["start"] for w in results.waves]
    cells = {(row["cohort"], row["event_time"]): row for row in kpi.group_time if row["post"]}
    times = sorted({e for _, e in cells})
    step = max(1, math.ceil(len(times) / MOST_ROWS))
    shown = times[::step]

    def cell(row: dict | None) -> dict | None:
        return _estimate(words, row, convert, decimals)

    by_wave = {w["cohort"]: w for w in (kpi.aggregations or {}).get("group", {}).get("waves", [])}
    return {
        "label": kpi.label + (f" ({unit})" if unit else ""),
        "columns": [{"name": wave_name(words, i), "start": _when(words, w["start"], time_kind),
                     "units": words.plural("%(units)s unit", "%(units)s units", w["units"],
                                           units=fmt.fixed(w["units"], 0))}
                    for i, w in enumerate(results.waves, start=1)],
        "rows": [{"time": fmt.fixed(e, 0), "cells": [cell(cells.get((c, e))) for c in cohorts]}
                 for e in shown],
        "average": [cell(by_wave.get(c)) for c in cohorts],
        "step": step,
    }


def _estimate(words: Words, part: dict | None, convert, decimals: int,
              unit: str = "") -> dict | None:
    """An effect ({att, ci_low, ci_high}) as table text: the value (with `unit`) and its
    interval; None when there is none."""
    if not part:
        return None
    fmt = words.fmt

    def number(value: float) -> str:
        return fmt.fixed(convert(value), decimals, signed=True)

    bounded = all(part.get(k) is not None and math.isfinite(part[k])
                  for k in ("ci_low", "ci_high"))
    return {"att": with_unit(number(part["att"]), unit),
            "ci": f"{number(part['ci_low'])} … {number(part['ci_high'])}" if bounded else ""}


def group_time_note(words: Words, results: Results, tables: list[dict], time_kind: str) -> str:
    periods = analysis_periods(words, results, time_kind)
    text = words("Effect of the product in each wave and %(period)s since its rollout (0 = its "
                 "first %(period)s with the product), with 95%% intervals, in the KPI's unit; the "
                 "last row is each wave's own average. Only the %(periods)s after each rollout "
                 "are shown; the %(periods)s before it are in the charts, and every value is in "
                 "the results JSON (group_time).", periods=periods,
                 period=analysis_period(words, results, time_kind))
    step = max((t["step"] for t in tables), default=1)
    if step > 1:
        text += " " + words("To keep the tables short, one row in %(step)s is shown.",
                            step=words.fmt.fixed(step, 0))
    return text


def other_averages(words: Words, results: Results, time_kind: str) -> list[dict]:
    """Each KPI's headline beside the other ways of averaging the same ATT(g,t)."""
    rows = []
    for kpi in results.kpis:
        aggregations = kpi.aggregations or {}
        convert, decimals, unit = _figures(words, kpi)
        rows.append({"label": kpi.label,
                     "values": [_estimate(words, aggregations.get(name), convert, decimals, unit)
                                for name in ("group", "simple", "dynamic_overall",
                                             "calendar_overall")]})
    return rows


def other_average_headers(words: Words, results: Results, time_kind: str) -> list[str]:
    if time_kind == "period":
        calendar = words("By calendar period")
    else:
        calendar = {"day": words("By calendar day"), "week": words("By calendar week"),
                    "month": words("By calendar month"),
                    "quarter": words("By calendar quarter")}[results.period]
    return [words("Headline: by wave"), words("All wave-periods alike"),
            words("By time since rollout"), calendar]


def small_wave_warnings(words: Words, results: Results, time_kind: str) -> list[str]:
    """Waves of fewer than `SMALL_WAVE` units: their own effects say little."""
    warnings = []
    for i, w in enumerate(results.waves, start=1):
        if w["units"] >= SMALL_WAVE:
            continue
        wave, start = wave_name(words, i), _when(words, w["first_rollout"], time_kind)
        warnings.append(words.plural(
            "%(wave)s (from %(start)s) has only %(units)s unit: too small to say anything on its "
            "own; it counts in the average across waves by its size.",
            "%(wave)s (from %(start)s) has only %(units)s units: too small to say anything on its "
            "own; it counts in the average across waves by its size.", w["units"], wave=wave,
            start=start, units=w["units"]))
    return warnings


def averages_note(words: Words, results: Results, time_kind: str) -> str:
    return words("The same effects of every wave and %(period)s can be averaged in other ways. "
                 "The headline weighs each wave by its number of units; “all wave-periods "
                 "alike” weighs every wave and %(period)s after its rollout by the wave's size; "
                 "“by time since rollout” first averages the waves at each %(period)s since "
                 "rollout, then those %(periods)s; the calendar average first averages each "
                 "calendar %(period)s. When they agree, the headline does not hinge on how the "
                 "waves are weighed. Each with its 95%% interval.",
                 period=analysis_period(words, results, time_kind),
                 periods=analysis_periods(words, results, time_kind))


def waves_context(words: Words, results: Results, groups: dict[str, str], time_kind: str,
                  bootstrap: int) -> dict:
    """Everything the template shows only for a rollout in waves."""
    tables = [group_time_table(words, results, kpi, time_kind) for kpi in results.kpis]
    period = analysis_period(words, results, time_kind)
    return {
        "staggered": True,
        "windows": period_compared(words, results, time_kind),
        "waves_summary": summary_sentence(words, results, groups, time_kind),
        "waves": waves_block(words, results, groups, time_kind),
        "waves_method": method_paragraphs(words, results, groups, time_kind, bootstrap),
        "averages": {"headers": other_average_headers(words, results, time_kind),
                     "rows": other_averages(words, results, time_kind),
                     "note": averages_note(words, results, time_kind)},
        "group_time": {"title": words("Effect by wave and %(period)s", period=period),
                       "since": since_label(words, results.period, time_kind),
                       "average": words("Average since rollout"),
                       "tables": tables,
                       "note": group_time_note(words, results, tables, time_kind)},
    }
