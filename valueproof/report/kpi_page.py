"""One KPI's page of the QBR: its sentences, its charts (the groups' trends, the gap by period,
or for a rollout in waves the effect by time since rollout) and its detail box, as a plain dict
for the template."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from valueproof.language.formatting import Formatter, unisolated
from valueproof.language.words import Words, kpi_scale
from valueproof.report import charts, synthetic, waves, words_rate_ratio
from valueproof.report.means_note import difference_note
from valueproof.report.sentences import (adjusted_note, effect_sentence, estimand_sentence,
                                         figure_decimals, mde_text, pre_trend_sentence,
                                         sensitivity_sentence, verdict_note, verdict_sentence)
from valueproof.report.terms import analysis_period
from valueproof.stats.results import KPIResult, Results


VERDICT_SYMBOL = {"improved": "▲", "worsened": "▼", "inconclusive": "●"}


def verdict_labels(words: Words) -> dict[str, str]:
    return {"improved": words("Improved"), "worsened": words("Got worse"),
            "inconclusive": words("Inconclusive")}


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


def _period_label(fmt: Formatter, period: str, time_kind: str) -> str:
    return fmt.day_month(period) if time_kind == "date" else period


def kpi_page(words: Words, results: Results, kpi: KPIResult, groups: dict[str, str],
             style: charts.ChartStyle, font_dir: Path, time_kind: str,
             names: dict[str, str | None]) -> dict:
    """Everything one KPI's page and detail box show, in the reader's language."""
    fmt = words.fmt
    scale, level_unit, change_unit = kpi_scale(kpi, words)
    staggered = results.design == "staggered"
    period = analysis_period(words, results, time_kind)
    trend_svg = figure = waves_sentence = means_note = None
    edges: list[bool] = []  # trend periods cut by the edge of the compared time
    if staggered:  # no common rollout date: the effect by time since each wave's rollout
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
            None if results.method == "pre_post" else
            [(p.control, p.control_low, p.control_high) for p in kpi.trend],
            {name: label[:1].upper() + label[1:] for name, label in groups.items()}, scale,
            y_label, words("Rollout"), [p.partial for p in kpi.trend], edges)
    gap_unit = words("log points") if kpi.log_scale else change_unit
    event_svg = None
    if kpi.event_study and not staggered and kpi.synthetic is None:  # its gap: the trend chart
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
    digits, rel_digits = figure_decimals(kpi, scale)
    level = lambda v: fmt.fixed(v * scale, digits) if v is not None else "–"  # noqa: E731
    relative = lambda v: fmt.percent_fixed(v, rel_digits, signed=True)  # noqa: E731
    robust = kpi.robustness
    page = {
        "id": kpi.id, "label": kpi.label, "verdict": kpi.verdict,
        "verdict_label": verdict_labels(words)[kpi.verdict],
        "verdict_symbol": VERDICT_SYMBOL[kpi.verdict],
        "sentence": (words_rate_ratio.effect_sentence(words, results, kpi, groups, names, period,
                                                      change_unit) if kpi.model == "poisson"
                     else effect_sentence(words, results, kpi, groups)),
        "estimand_sentence": (words_rate_ratio.estimand_sentence(words, names, period)
                              if kpi.model == "poisson"
                              else estimand_sentence(words, kpi, names, period)),
        "waves_sentence": waves_sentence, "figure": figure,
        "means_note": means_note or difference_note(words, results, kpi, scale, digits,
                                                    change_unit),
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
    if kpi.synthetic is not None:  # compared with other accounts: their words replace the groups'
        page.update(synthetic.page_fields(words, results, kpi, groups, time_kind))
    return page
