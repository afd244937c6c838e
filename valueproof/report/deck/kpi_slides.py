"""The deck's slides with charts: one KPI (its trend against the comparison group or the
comparable accounts' weighted blend, the likely ranges as error bars, one sentence), the KPIs as one table when they do not all fit, the ROI with
its assumptions, and the weekly active users. Words and numbers come from the report's context;
the charts' data from the results, at the scale the report shows them."""

from __future__ import annotations

from valueproof.language.formatting import isolated_text, unisolated
from valueproof.language.words import Words, kpi_scale
from valueproof.report.deck.charts import ChartSpec, Series
from valueproof.report.deck.story import Figure, Slide, Table
from valueproof.stats.results import Results


def _kpi_title(fmt, page: dict) -> str:
    """'Average handle time: −21% (−2.5 min)' — the KPI's result as the slide's message (the
    analyst's label isolated in a right-to-left deck, so that a Latin name keeps its colon)."""
    label = isolated_text(page["label"]) if fmt.rtl else page["label"]
    if page["verdict"] == "inconclusive":
        return f"{label}: {page['verdict_label']}"
    return f"{label}: {page['magnitude']}"


def _with_unit(fmt, shown: str, unit: str) -> str:
    """A shown number (or range) with its unit after it, in one isolate in a right-to-left
    deck (a Latin unit outside it would be drawn on the number's other side)."""
    if not unit:
        return shown
    return fmt.joined(shown, after=unit if unit == "%" else f"\u00a0{unit}")


def trend_chart(words: Words, context: dict, results: Results, page: dict,
                style: dict) -> ChartSpec | None:
    """The groups' means per period with their 95% ranges as error bars, the rollout marked."""
    kpi = results.kpi(page["id"])
    if results.design == "staggered":
        return _waves_chart(words, kpi, style)
    if not kpi.trend:
        return None
    scale, level_unit, _ = kpi_scale(kpi, words)
    fmt = words.fmt
    time_kind = "date" if _is_date(kpi.trend[0].period) else "period"
    periods = [(fmt.day_month(p.period) if time_kind == "date" else p.period).replace("\u00a0", " ")
               for p in kpi.trend]

    def series(name: str, colour: str, arm: str, width: float) -> Series:
        values, ranges = [], []
        for point in kpi.trend:
            mean, low, high = (getattr(point, arm), getattr(point, f"{arm}_low"),
                               getattr(point, f"{arm}_high"))
            values.append(None if mean is None else mean * scale)
            ranges.append(None if low is None or high is None or mean is None
                          else (low * scale, high * scale))
        return Series(name, values, colour, ranges, width)

    groups = context["groups"]
    shown = [series(_capital(groups["treatment"]), style["primary"], "treatment", 2.5)]
    if results.method != "pre_post":  # a comparison group, or the comparable accounts' blend
        shown.append(series(_capital(groups["control"]), style["neutral"], "control", 1.75))
    post = [p.post for p in kpi.trend]
    marker = post.index(True) if any(post) and not all(post) else None
    title = kpi.label + (f" ({level_unit})" if str(level_unit) else "")
    return ChartSpec("line", periods, shown, axis_title=title,
                     number_format=_number_format(page["means"]), marker_at=marker,
                     marker_label=words("Rollout"))


def _waves_chart(words: Words, kpi, style: dict) -> ChartSpec | None:
    """A rollout in waves: the effect by time since each wave's rollout (0 = the first period
    with the product), with its likely ranges, as the report's chart."""
    aggregations = kpi.aggregations or {}
    dynamic = aggregations.get("dynamic") or []
    if not dynamic:
        return None
    scale, _, change_unit = kpi_scale(kpi, words)
    scale = 1.0 if kpi.transform == "log" else scale
    low, high = (("band_low", "band_high") if aggregations.get("band") == "simultaneous"
                 else ("ci_low", "ci_high"))
    values = [row["att"] * scale for row in dynamic]
    ranges = [(row[low] * scale, row[high] * scale)
              if row.get(low) is not None and row.get(high) is not None else None
              for row in dynamic]
    times = [row["event_time"] for row in dynamic]
    unit = words("log points") if kpi.transform == "log" else str(change_unit)
    return ChartSpec("line", [unisolated(words.fmt.number(t, sig=6)) for t in times],
                     [Series(words("Effect"), values, style["primary"], ranges)],
                     axis_title=words("Effect") + (f" ({unit})" if unit else ""),
                     marker_at=times.index(0) if 0 in times and times[0] < 0 else None,
                     marker_label=words("Rollout"))


def _is_date(text: str) -> bool:
    import datetime as dt

    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _number_format(means: list[tuple]) -> str:
    """Excel's number format with as many decimals as the report's table of means shows."""
    shown = next((str(m[1]) for m in means if m[1] and m[1] != "–"), "")
    digits = shown.replace("\u2066", "").replace("\u2069", "")
    for separator in (".", ",", "٫"):
        if separator in digits:
            return "0." + "0" * len(digits.rsplit(separator, 1)[1])
    return "0"


def kpi_slide(words: Words, context: dict, results: Results, page: dict, style: dict) -> Slide:
    """One KPI: the result as the title, one sentence, the effect and its likely range, the
    trend chart; the notes carry the checks behind the verdict."""
    unit = page["change_unit"]
    effect = Figure(_with_unit(words.fmt, page["effect"], unit), words("Effect"),
                    f"{words('Likely range')}: {_with_unit(words.fmt, page['ci'], unit)}")
    relative = Figure(page["relative"], words("Relative effect"), page["relative_ci"])
    robust = page.get("robustness_sentence") or (
        f"{words('Robustness checks')}: {words('Welch p')} {page['welch_p']}, "
        f"{words('Rank test p')} {page['rank_p']}, {words('Permutation p')} "
        f"{page['permutation_p']}.")
    method = page.get("comparison") and words(
        "If asked what the account was compared with: %(comparison)s, weighted so that before "
        "the rollout the blend moved like this account. Never name those accounts: they are "
        "other customers.", comparison=page["comparison"])
    notes = [words("Say the sentence on the slide, then the likely range; the checks below back "
                   "the verdict if you are asked."),
             page["sentence"], method or "", page["verdict_sentence"], page["estimand_sentence"],
             page["pre_trend_sentence"], words("Significance: %(p)s.", p=page["p_text"]),
             robust, f"{words('Smallest detectable effect')}: {page['mde']}",
             page.get("adjusted_note") or "", page.get("sensitivity_sentence") or "",
             page.get("waves_sentence") or "", page.get("placebo_note") or "",
             *page["warnings"]]
    return Slide("content", _kpi_title(words.fmt, page), notes=[n for n in notes if n],
                 figures=[effect, relative], lines=[page["sentence"]],
                 chart=trend_chart(words, context, results, page, style),
                 section=f"{page['verdict_symbol']} {page['verdict_label']}")


def kpi_table_slide(words: Words, context: dict) -> Slide:
    """Every KPI in one table: its effect, likely range and verdict."""
    rows = [[page["label"], _with_unit(words.fmt, page["effect"], page["change_unit"]),
             _with_unit(words.fmt, page["ci"], page["change_unit"]),
             f"{page['verdict_symbol']} {page['verdict_label']}"] for page in context["kpis"]]
    notes = [f"{page['sentence']} {page['verdict_sentence']}" for page in context["kpis"]]
    return Slide("content", words("Results by KPI"), notes=notes,
                 table=Table([words("KPI"), words("Effect"), words("Likely range"),
                              words("Status")], rows, [3.4, 2.0, 3.0, 2.0]))


def roi_slide(words: Words, context: dict, results: Results, style: dict) -> Slide:
    """The ROI: the headline with its range, the benefits (their ranges as error bars), costs
    and net as bars, and the assumptions behind every benefit and cost."""
    roi, shown = results.roi, context["roi"]
    categories, values, colours = [], [], []
    for line in roi.benefits:
        categories.append(line.label)
        values.append(round(line.total))
        colours.append(style["positive"] if line.total >= 0 else style["negative"])
    for cost in roi.costs:
        categories.append(cost.label)
        values.append(-round(cost.total))
        colours.append(style["neutral"])
    categories.append(words("Net value"))
    values.append(round(roi.net))
    colours.append(style["primary"])
    # each bar labelled with its amount; the benefits' ranges are in the notes and the
    # headline's range (error bars would run through the labels)
    chart = ChartSpec("bar", categories, [Series(words("Net value"), values, style["primary"])],
                      axis_title=words.plural("Over %(months)s month (%(currency)s)",
                                              "Over %(months)s months (%(currency)s)",
                                              roi.horizon_months, months=roi.horizon_months,
                                              currency=roi.currency),
                      number_format="#,##0", bar_colours=colours, value_axis=False,
                      point_labels=[words.fmt.money(v, roi.currency, sig=None) for v in values])
    figures = [Figure(shown["headline"], words.plural(
        "Return on investment over %(months)s month", "Return on investment over %(months)s "
        "months", shown["months"], months=shown["months"]), shown["range"]),
        Figure(shown["benefit"], words("Total benefit")),
        Figure(shown["cost"], words("Total cost")),
        Figure(shown["payback"], words("payback"))]
    rows = [[b["label"], b["value_per_unit"], b["volume"], b["total"]] for b in shown["benefits"]]
    rows += [[c["label"], c["basis"], "", c["total"]] for c in shown["costs"]]
    notes = [shown["ratio"] + ".", shown.get("realised") or "", shown["note"],
             *[f"{b['label']} ({b['kpi']}): {b['value_per_unit']} × {b['volume']} → "
               f"{b['total']} ({b['low']} … {b['high']})" for b in shown["benefits"]],
             *[f"{c['label']}: {c['basis']} → {c['total']}" for c in shown["costs"]]]
    return Slide("content", f"{words('Return on investment')}: {shown['headline']} "
                 f"({shown['ratio']})", notes=[n for n in notes if n], figures=figures,
                 chart=chart, section=words("Return on investment"),
                 table=Table([words("Benefit"), words("Value per unit"),
                              words("Volume per month"), words("Total benefit")], rows,
                             [2.6, 1.5, 1.5, 1.6]))


def weekly_chart(words: Words, results: Results, style: dict) -> ChartSpec | None:
    """Active users per week as bars: this quarter in the brand colour, the one before grey."""
    adoption = results.adoption
    weeks = adoption.weekly_active if adoption is not None else None
    if not weeks:
        return None
    fmt = words.fmt
    current = [w.quarter == adoption.period.quarter for w in weeks]
    return ChartSpec("column", [fmt.day_month(w.week) for w in weeks],
                     [Series(words("Active users per week"), [w.users for w in weeks],
                             style["primary"])],
                     axis_title=words("Active users per week"), number_format="0",
                     bar_colours=[style["primary"] if c else style["neutral"] for c in current])
