"""The portfolio in words and numbers, in the reader's language: per KPI how many accounts had a
measurable design and why the others did not, what the product does on average and what a new
account could expect, how much accounts differ (I² and tau), the pooled ROI and the health of
the accounts. The PDF/HTML and the terminal read the same context."""

from __future__ import annotations

import math
from pathlib import Path

from valueproof.language.formatting import unisolated
from valueproof.language.words import Words, kpi_scale, with_unit
from valueproof.report import charts
from valueproof.report.portfolio.forest import MOST_ROWS, ForestRow, forest_chart
from valueproof.report.portfolio.model import KPIPool, Portfolio, ROITotal

AGREE_BELOW, DIFFER_A_LOT_FROM = 0.25, 0.75  # I² bands (Higgins et al. 2003: low, high)


def reasons(words: Words) -> dict[str, str]:
    """Why an account gives no effect for a KPI (model.LEFT_OUT_REASONS), in words."""
    return {
        "failed": words("the batch could not analyse it"),
        "no_kpi": words("no such KPI"),
        "no_comparison": words("no comparison group (before and after only)"),
        "not_measurable": words("no finite likely range"),
        "no_relative": words("no relative change (a baseline of zero)"),
    }


class Shown:
    """How one KPI's pooled numbers are shown: a % change (relative scale), or a change in the
    KPI's units (percentage points for a rate)."""

    def __init__(self, words: Words, kpi: KPIPool):
        self.words, self.relative = words, kpi.scale == "relative"
        self.factor, _, self.unit = kpi_scale(kpi, words)

    def value(self, x: float) -> float:
        """A pooling-scale number on the shown scale (a % change in percent: -20 is -20%)."""
        return 100 * math.expm1(x) if self.relative else x * self.factor

    def text(self, x: float, signed: bool = True, short: bool = False) -> str:
        """A pooling-scale number as the page shows it, or (`short`) as the terminal does
        ('+6.2 pp')."""
        fmt = self.words.fmt
        if self.relative:
            return fmt.percent(math.expm1(x), signed=signed)
        shown = fmt.number(self.value(x), signed=signed)
        return self.unit.short(shown) if short else with_unit(shown, self.unit)

    def spread(self, tau: float) -> str:
        """tau, the typical difference between accounts' true effects, as a size (no sign)."""
        return self.text(tau, signed=False)

    def axis(self) -> str:
        if self.relative:
            return self.words("Change in %% of the level without the product")
        return self.words("Change (%(unit)s)", unit=str(self.unit))


def kpi_section(words: Words, kpi: KPIPool, style: charts.ChartStyle,
                font_dir: Path | None) -> dict:
    """One KPI's page: its words, its figures (`average`, `average_range`, `new_range`, worded
    once for the PDF and the deck) and, unless `font_dir` is None, its drawn forest plot."""
    shown, pooled = Shown(words, kpi), kpi.pooled
    why = reasons(words)
    left_out: dict[str, list[str]] = {}
    for item in kpi.left_out:
        left_out.setdefault(why[item.reason], []).append(item.account)
    section = {
        "id": kpi.id, "label": kpi.label,
        "measurable": words("Accounts with a measurable design: %(k)s of %(n)s.",
                            k=words.fmt.number(len(kpi.accounts), sig=9),
                            n=words.fmt.number(kpi.total, sig=9)),
        "counted": words("%(k)s of %(n)s", k=words.fmt.number(len(kpi.accounts), sig=9),
                         n=words.fmt.number(kpi.total, sig=9)),
        "left_out": [{"reason": reason, "accounts": words.fmt.names(names),
                      "count": words.fmt.number(len(names), sig=9)}
                     for reason, names in left_out.items()],
        "rows": [{"account": a.account, "effect": shown.text(a.effect),
                  "range": words("%(low)s to %(high)s", low=shown.text(a.low),
                                 high=shown.text(a.high)),
                  "weight": words.fmt.percent(a.weight) if pooled else "–"}
                 for a in kpi.accounts],
        "sentences": [], "chart": None, "chart_note": None,
        "average": None, "average_range": None, "new_range": None,
        "overview": {"average": "–", "average_range": "–", "new_range": "–"},
    }
    if pooled is None:
        section["sentences"] = [words("Too few accounts with a measurable design to pool them.")]
        return section
    section["sentences"] = pooled_sentences(words, kpi, shown)
    section["average"] = shown.text(pooled.estimate)
    section["average_range"] = words("%(low)s to %(high)s", low=shown.text(pooled.hksj_low),
                                     high=shown.text(pooled.hksj_high))
    if pooled.pi_low is not None:
        section["new_range"] = words("%(low)s to %(high)s", low=shown.text(pooled.pi_low),
                                     high=shown.text(pooled.pi_high))
    section["overview"] = overview(shown, pooled)
    if len(kpi.accounts) > MOST_ROWS:
        section["chart_note"] = words(
            "The plot shows the %(shown)s accounts with the largest weights of %(n)s; the table "
            "lists every one.", shown=words.fmt.number(MOST_ROWS, sig=9),
            n=words.fmt.number(len(kpi.accounts), sig=9))
    if font_dir is None:
        return section
    rows = [ForestRow(a.account, shown.value(a.effect), shown.value(a.low), shown.value(a.high),
                      a.weight) for a in kpi.accounts]
    prediction = (None if pooled.pi_low is None
                  else (shown.value(pooled.pi_low), shown.value(pooled.pi_high)))
    section["chart"] = forest_chart(
        font_dir, style, rows,
        (shown.value(pooled.estimate), shown.value(pooled.hksj_low), shown.value(pooled.hksj_high)),
        prediction, {"pooled": words("Average"), "prediction": words("New account")},
        shown.axis())
    section["chart_alt"] = " ".join(section["sentences"])
    return section


def overview(shown: Shown, pooled) -> dict[str, str]:
    """A pooled KPI's cells in the summary tables (page 2, the terminal), in short units
    ("+6.5 pp"): the average, its likely range, the range for a new account."""
    def text(x: float) -> str:
        return shown.text(x, short=True)

    return {"average": text(pooled.estimate),
            "average_range": f"{text(pooled.hksj_low)} … {text(pooled.hksj_high)}",
            "new_range": ("–" if pooled.pi_low is None
                          else f"{text(pooled.pi_low)} … {text(pooled.pi_high)}")}


def pooled_sentences(words: Words, kpi: KPIPool, shown: Shown) -> list[str]:
    """What the product does on average, what a new account could see, how much accounts
    differ: the vendor's three questions about one KPI."""
    pooled = kpi.pooled
    values = {"effect": shown.text(pooled.estimate), "low": shown.text(pooled.hksj_low),
              "high": shown.text(pooled.hksj_high)}
    sign = 1 if kpi.better == "higher" else -1
    if sign * pooled.hksj_low > 0 and sign * pooled.hksj_high > 0:
        average = words("It works on average: %(effect)s (likely range %(low)s to %(high)s).",
                        **values)
    elif sign * pooled.hksj_low < 0 and sign * pooled.hksj_high < 0:
        average = words("On average it got worse: %(effect)s (likely range %(low)s to "
                        "%(high)s).", **values)
    else:
        average = words("On average the effect is unclear: %(effect)s (likely range %(low)s to "
                        "%(high)s).", **values)
    if pooled.pi_low is None:
        new = words("With fewer than three accounts there is no range for a new account.")
    else:
        new = words("For a new account the effect could be between %(low)s and %(high)s.",
                    low=shown.text(pooled.pi_low), high=shown.text(pooled.pi_high))
    i2 = words.fmt.percent(pooled.i2)
    if pooled.i2 < AGREE_BELOW:
        spread = words("The accounts agree: their differences are about what chance alone "
                       "would give (I² %(i2)s).", i2=i2)
    elif pooled.i2 < DIFFER_A_LOT_FROM:
        spread = words("The effect differs moderately between accounts (I² %(i2)s; typical "
                       "spread between accounts %(tau)s).", i2=i2, tau=shown.spread(pooled.tau))
    else:
        spread = words("The effect differs a lot between accounts (I² %(i2)s; typical spread "
                       "between accounts %(tau)s).", i2=i2, tau=shown.spread(pooled.tau))
    return [average, new, spread]


def roi_figures(words: Words, totals: list[ROITotal]) -> list[dict[str, str]]:
    """Each currency's pooled ROI as shown: its accounts (`n`), net value with its range
    (`net`, `low`, `high`), pooled ROI with its range, total benefit and cost."""
    fmt = words.fmt
    return [{"currency": t.currency, "n": fmt.number(t.accounts, sig=9),
             "net": fmt.money(t.net, t.currency), "low": fmt.money(t.net_low, t.currency),
             "high": fmt.money(t.net_high, t.currency), "roi": fmt.percent(t.roi),
             "roi_low": fmt.percent(t.roi_low), "roi_high": fmt.percent(t.roi_high),
             "benefit": fmt.money(t.benefit, t.currency), "cost": fmt.money(t.cost, t.currency)}
            for t in totals]


def roi_lines(words: Words, figures: list[dict[str, str]]) -> list[str]:
    if not figures:
        return [words("No account has an ROI.")]
    return [words("Accounts with an ROI in %(currency)s: %(n)s. Net value %(net)s (%(low)s to "
                  "%(high)s); pooled ROI %(roi)s (%(roi_low)s to %(roi_high)s).", **shown)
            for shown in figures]


def health_rows(words: Words, health: dict[str, int]) -> list[dict]:
    names = {"green": words("Green"), "amber": words("Amber"), "red": words("Red"),
             "none": words("No health score")}
    return [{"status": status, "label": names[status],
             "accounts": words.fmt.number(count, sig=9)} for status, count in health.items()]


def portfolio_context(words: Words, portfolio: Portfolio, style: charts.ChartStyle,
                      font_dir: Path | None) -> dict:
    """Everything the portfolio's pages and slides show, already worded; the forest plots
    drawn with the fonts in `font_dir` (None: not drawn; the deck has its own charts)."""
    fmt = words.fmt
    roi = roi_figures(words, portfolio.roi)
    return {
        "lang": fmt.language, "dir": "rtl" if fmt.rtl else "ltr",
        "title": words("Portfolio review"),
        "internal": words("Internal — names customers"),
        "internal_note": words("Never send this review, or any part of it, to a customer."),
        "accounts": words("Accounts in the batch: %(n)s",
                          n=fmt.number(len(portfolio.accounts), sig=9)),
        "method_note": words(
            "Each KPI's effect is pooled across accounts with a random-effects model "
            "(%(method)s). The likely range of the average is the Hartung–Knapp–Sidik–Jonkman "
            "interval; the range for a new account is the prediction interval.",
            method=portfolio.method),
        "kpis": [kpi_section(words, k, style, font_dir) for k in portfolio.kpis],
        "roi": roi_lines(words, roi), "roi_figures": roi,
        "roi_note": words("Pooled ROI is the accounts' total net value over their total cost. "
                          "Its range adds up every account's low and high ends, so it is wider "
                          "than the likely range of the total."),
        "health": health_rows(words, portfolio.health),
    }


def summary_rows(words: Words, portfolio: Portfolio) -> list[tuple[str, ...]]:
    """The terminal's table: per KPI its accounts measured of all, the average with its likely
    range, the range for a new account, and I²."""
    rows = []
    for kpi in portfolio.kpis:
        shown, pooled = Shown(words, kpi), kpi.pooled
        counted = f"{len(kpi.accounts)}/{kpi.total}"
        if pooled is None:
            rows.append((kpi.label, counted, "–", "–", "–", "–"))
            continue
        cells = overview(shown, pooled)
        rows.append((kpi.label, counted, cells["average"], cells["average_range"],
                     cells["new_range"], words.fmt.percent(pooled.i2)))
    return rows


def chart_style(primary: str, neutral: str, words: Words) -> charts.ChartStyle:
    return charts.ChartStyle(primary=primary, neutral=neutral,
                             number=lambda value: unisolated(words.fmt.number(value, sig=6)))
