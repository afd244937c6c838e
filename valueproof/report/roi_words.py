"""The ROI page in words and figures: the section the template shows (the headline, the ratio,
the payback, the benefit and cost tables whose totals add up, the chart), the range with its level
stated ("likely range 303% to 592% with 95% confidence"), how it was found (the small print), and
what the measured period itself returned, for a rollout in waves from each wave's own rollout.
The figures are the results' (`value.roi`), so the page and the JSON agree."""

from __future__ import annotations

import math
from pathlib import Path

from valueproof.language.words import Words
from valueproof.report import charts
from valueproof.report.terms import period_name
from valueproof.stats.results import Results
from valueproof.value.roi import shown_totals


def level_text(words, level: float) -> str:
    """95% (a whole percentage), or 98.3% (one decimal) as Bonferroni's levels are."""
    whole = abs(level * 100 - round(level * 100)) < 1e-9
    return words.fmt.percent_fixed(level, 0 if whole else 1)


def range_text(words, roi, percent) -> str:
    """The ROI's range with its level, for page 2's sentence and the ROI page's headline."""
    if not (math.isfinite(roi.roi_low) and math.isfinite(roi.roi_high)):
        return words("no likely range: too few units to bound it")
    fields = dict(low=percent(roi.roi_low), high=percent(roi.roi_high),
                  level=level_text(words, roi.level))
    if roi.range_method == "bonferroni":
        return words("likely range %(low)s to %(high)s with at least %(level)s confidence",
                     **fields)
    return words("likely range %(low)s to %(high)s with %(level)s confidence", **fields)


def conservative_differs(roi, percent) -> bool:
    """Whether the conservative figure (the range's lower end) reads differently from the
    headline as shown: only then is it worth a word."""
    return math.isfinite(roi.roi_low) and percent(roi.roi_low) != percent(roi.roi)


def time_saved_text(words, roi) -> str | None:
    """For benefits of time saved: capacity freed, which is cash only when re-deployed."""
    labels = [b.label for b in roi.benefits if b.time_saved and b.total > 0]
    if not labels:
        return None
    # the list is made before the call: Babel's extraction reads a call inside words.plural(…)
    # as a message of its own and loses the plural form
    benefits = words.fmt.names(labels)
    return words.plural(
        "%(benefits)s is time freed: capacity for other work, not cash, unless that time is "
        "re-deployed (or hiring avoided).",
        "%(benefits)s are time freed: capacity for other work, not cash, unless that time is "
        "re-deployed (or hiring avoided).", len(labels), benefits=benefits)


def range_note(words, roi, percent=None) -> str:
    """The ROI page's small print: the formula, the table's columns, how the total's range was
    found and at what level, and what the conservative figure is (when `percent`, the
    headline's format, shows it differently from the headline)."""
    level = level_text(words, roi.level)
    if roi.range_method == "bonferroni":
        how = words("The total's range adds every benefit at the end of its own %(each)s likely "
                    "range, so that together they hold the true total with at least %(level)s "
                    "confidence (Bonferroni's rule).",
                    each=level_text(words, roi.each_level), level=level)
    elif roi.range_method == "randomization":
        how = words("The total's range comes from the randomization test of the total benefit "
                    "itself, with %(level)s confidence: with so few units with the product, it "
                    "gives the product to other units at random and adds up the benefits on each "
                    "draw.", level=level)
    elif roi.range_method == "own_interval":
        how = words("The total's range is the likely range of the one KPI the benefits rest "
                    "on, with %(level)s confidence.", level=level)
    else:
        how = words("The total's range holds the true total with %(level)s confidence: it "
                    "combines the benefits as their KPIs vary together across the same units, "
                    "so it is narrower than every benefit at its worst or best end at once.",
                    level=level)
    parts = [words("ROI = (benefit − cost) / cost. Each benefit's Low and High are the ends of "
                   "its own likely range; a KPI that got worse counts against the benefit."), how]
    if percent is None or conservative_differs(roi, percent):
        parts.append(words("The conservative figure, an ROI of %(roi)s, comes from the lower "
                           "end of the total's range.",
                           roi=(percent or words.fmt.percent)(roi.roi_low)))
    return " ".join(parts)


def roi_percent(fmt, value: float) -> str:
    """The ROI and its range as the report shows them: three significant figures from 100%,
    two below ('433%', '43%')."""
    return fmt.percent(value, sig=3 if abs(value) >= 1 else 2)


def payback_text(words, roi) -> str:
    """'within the first month', '2.5 months', or 'not within reach at the measured effects'."""
    if roi.payback_months is None:
        return words("not within reach at the measured effects")
    if roi.payback_months < 1:
        return words("within the first month")
    shown = words.fmt.number(roi.payback_months, 2)
    return words.plural("%(months)s month", "%(months)s months", shown, months=shown,
                        decimal=words.pgettext("decimal", "%(months)s months"))


def roi_section(words: Words, results: Results, style: charts.ChartStyle,
                font_dir: Path) -> dict | None:
    """The ROI page (None without an ROI): its figures in the reader's money and words."""
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
    percent = lambda v: roi_percent(fmt, v)  # noqa: E731
    items = [(b.label, b.total, "benefit" if b.total >= 0 else "loss") for b in roi.benefits]
    items += [(c.label, -c.total, "cost") for c in roi.costs]
    items.append((words("Net value"), roi.net, "net"))
    chart = charts.roi_chart(font_dir, style, items,
                             words.plural("Over %(months)s month (%(currency)s)",
                                          "Over %(months)s months (%(currency)s)",
                                          roi.horizon_months, months=roi.horizon_months,
                                          currency=roi.currency),
                             fmt.compact)
    payback = payback_text(words, roi)
    return {
        "headline": percent(roi.roi),
        "ratio": words("%(back)s back for every %(one)s spent",
                       back=fmt.money(roi.ratio, roi.currency, sig=None),
                       one=fmt.money(1, roi.currency, sig=1)),
        "range": range_text(words, roi, percent),
        "note": range_note(words, roi, percent),
        "time_saved": time_saved_text(words, roi),
        "net": money(net), "benefit": money(benefit), "cost": money(cost), "payback": payback,
        "realised": realised_text(words, roi),
        "months": roi.horizon_months, "currency": roi.currency, "chart": chart,
        "benefits": [{
            "label": b.label, "kpi": results.kpi(b.kpi).label,
            "volume": fmt.number(b.monthly_volume, 3),
            "value_per_unit": fmt.money(b.value_per_unit, roi.currency, sig=None),
            "total": money(total), "low": money(low), "high": money(high),
            "negative": b.total < 0, "source": b.note,
        } for b, total, low, high in zip(roi.benefits, rows["total"], rows["total_low"],
                                         rows["total_high"])],
        "costs": [{"label": c.label, "total": money(shown), "source": c.note,
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


def realised_text(words: Words, roi) -> str | None:
    """What the measured period itself returned, apart from the projection, and for a rollout in
    waves how much of it the units had the product (each wave counts from its own rollout)."""
    realised = roi.realised
    if not realised:
        return None
    fmt = words.fmt
    benefit, cost, _ = shown_totals(realised["benefit"], realised["cost"])
    sentence = words.plural(
        "Measured %(start)s – %(end)s: %(benefit)s of benefit against %(cost)s of cost so far. "
        "The %(months)s-month figures are a projection at the measured effects.",
        "Measured %(start)s – %(end)s: %(benefit)s of benefit against %(cost)s of cost so far. "
        "The %(months)s-month figures are a projection at the measured effects.",
        roi.horizon_months, start=fmt.date(realised["start"], "medium"),
        end=fmt.date(realised["end"], "medium"), benefit=fmt.money(benefit, roi.currency, sig=None),
        cost=fmt.money(cost, roi.currency, sig=None), months=roi.horizon_months)
    share = realised.get("with_product", 1.0)
    if share is None or share >= 1 - 1e-9:
        return sentence
    return " ".join([sentence, words(
        "Each wave counts only from its own rollout: the units had the product for %(share)s "
        "of this period.", share=words.fmt.percent(share, sig=2))])
