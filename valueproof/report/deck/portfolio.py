"""The portfolio review as slides: another renderer of the review's context
(`report.portfolio.story.portfolio_context`, the PDF's own words), its native charts' numbers
taken from the pooled portfolio as they are, never recomputed. Vendor-internal like the PDF:
the cover and every slide's footer say that it names customers.

The slides: the cover; per KPI how many accounts had a measurable design and why the others did
not; one slide per KPI with its forest chart (each account's effect with its likely range as
error bars, the average with its likely range, the range for a new account); the pooled ROI; the
distribution of account health. Every slide has speaker notes.
"""

from __future__ import annotations

import io

from valueproof.config.brand import Brand
from valueproof.language.formatting import isolated_text
from valueproof.language.words import Words
from valueproof.report.deck.charts import ChartSpec, Series
from valueproof.report.deck.pptx_writer import INK, DeckWriter
from valueproof.report.deck.story import Figure, Slide, Table, map_text, typeset
from valueproof.report.portfolio.forest import ForestRow, forest_rows
from valueproof.report.portfolio.model import KPIPool, Portfolio, portfolio_date
from valueproof.report.portfolio.story import Shown
from valueproof.report.svg import printable

HEALTH_COLOURS = {"green": "#1E7F4F", "amber": "#A6520A", "red": "#B3261E", "none": "#5F6B76"}


def forest_spec(words: Words, kpi: KPIPool, colours: dict) -> ChartSpec:
    """One KPI's forest chart as horizontal bars: each account's effect (the accounts the PDF's
    plot shows, in order of effect) with its likely range as error bars, then the average with
    its likely range and, from three accounts on, the range for a new account around it."""
    shown, pooled = Shown(words, kpi), kpi.pooled
    rows = forest_rows([ForestRow(printable(a.account), shown.value(a.effect),
                                  shown.value(a.low), shown.value(a.high), a.weight)
                        for a in kpi.accounts])
    average = shown.value(pooled.estimate)
    categories = [row.label for row in rows] + [words("Average")]
    ranges = [(row.low, row.high) for row in rows]
    ranges.append((shown.value(pooled.hksj_low), shown.value(pooled.hksj_high)))
    bar_colours = [colours["neutral"]] * len(rows) + [colours["primary"]]
    if pooled.pi_low is not None:
        categories.append(words("New account"))
        ranges.append((shown.value(pooled.pi_low), shown.value(pooled.pi_high)))
        bar_colours.append(colours["accent"])
    values = [row.effect for row in rows] + [average] * (len(categories) - len(rows))
    # the series' colour is its error bars': ink, clear over the bars' colours
    return ChartSpec("bar", categories, [Series(words("Effect"), values, INK, ranges)],
                     axis_title=shown.axis(), bar_colours=bar_colours)


def _label(words: Words, label: str) -> str:
    """A KPI's label before a colon in a title (isolated in a right-to-left deck, so that a
    Latin label keeps its colon)."""
    return isolated_text(label) if words.fmt.rtl else label


def _left_out_lines(section: dict) -> list[str]:
    return [f"{item['reason']}: {item['accounts']}" for item in section["left_out"]]


def kpi_slide(words: Words, context: dict, section: dict, kpi: KPIPool,
              colours: dict) -> Slide:
    """One KPI across the accounts: the average as the title, the figures and the forest chart,
    the accounts measured and how much they differ beside it; the notes say it all."""
    notes = [words("Say the average and its likely range first, then what a new account "
                   "could expect; each account's own range is in the chart."),
             *section["sentences"], section["measurable"], *_left_out_lines(section),
             section["chart_note"] or ""]
    notes = [note for note in notes if note]
    if kpi.pooled is None:
        rows = [[row["account"], row["effect"], row["range"]] for row in section["rows"]]
        table = Table([words("Account"), words("Effect"), words("Likely range")], rows,
                      [4.0, 2.0, 3.0]) if rows else None
        return Slide("content", section["label"], notes=notes, table=table,
                     lines=[section["measurable"], *section["sentences"]],
                     section=context["title"])
    figures = [Figure(section["average"], words("Average"),
                      f"{words('Likely range')}: {section['average_range']}")]
    if section["new_range"]:
        figures.append(Figure(section["new_range"], words("New account")))
    return Slide("content", f"{_label(words, section['label'])}: {section['average']}",
                 notes=notes, figures=figures,
                 lines=[section["measurable"], section["sentences"][-1]],
                 chart=forest_spec(words, kpi, colours), section=context["title"])


def measurable_slide(words: Words, context: dict) -> Slide:
    """Per KPI: k of N accounts measured, the average, its likely range, the range for a new
    account, and how many accounts were left out for which reason (their names in the notes)."""
    rows, notes = [], [context["accounts"]]
    for section in context["kpis"]:
        left_out = "; ".join(f"{item['reason']} ({item['count']})"
                             for item in section["left_out"])
        rows.append([section["label"], section["counted"], section["average"] or "–",
                     section["average_range"] or "–", section["new_range"] or "–",
                     left_out or "–"])
        notes += [f"{_label(words, section['label'])}: {section['measurable']}",
                  *_left_out_lines(section)]
    return Slide("content", words("Accounts with a measurable design"), notes=notes,
                 lines=[context["accounts"]], section=context["title"],
                 table=Table([words("KPI"), words("Accounts"), words("Average"),
                              words("Likely range"), words("New account"), words("Left out")],
                             rows, [2.3, 1.3, 1.9, 2.6, 2.6, 2.3]))


def roi_slide(words: Words, context: dict, portfolio: Portfolio, colours: dict) -> Slide:
    """The pooled ROI: with one currency its figures and the total benefit, cost and net value
    as bars; with several a row per currency."""
    shown = context["roi_figures"]
    notes = [*context["roi"], context["roi_note"]]
    title = words("Return on investment")
    if not shown:
        return Slide("content", title, notes=notes, lines=context["roi"], section=context["title"])
    if len(shown) > 1:
        rows = [[s["currency"], s["n"], f"{s['net']} ({s['low']} … {s['high']})",
                 f"{s['roi']} ({s['roi_low']} … {s['roi_high']})"] for s in shown]
        return Slide("content", title, notes=notes, section=context["title"],
                     table=Table([words("Currency"), words("Accounts"), words("Net value"),
                                  words("Pooled ROI")], rows, [1.4, 1.2, 4.0, 3.0]))
    [one], [total] = shown, portfolio.roi
    chart = ChartSpec("bar", [words("Total benefit"), words("Total cost"), words("Net value")],
                      [Series(words("Net value"), [total.benefit, -total.cost, total.net],
                              colours["primary"])],
                      axis_title=one["currency"], number_format="#,##0",
                      bar_colours=[colours["positive"], colours["neutral"], colours["primary"]],
                      value_axis=False, point_labels=[one["benefit"], one["cost"], one["net"]])
    figures = [Figure(one["roi"], words("Pooled ROI"), f"{one['roi_low']} … {one['roi_high']}"),
               Figure(one["net"], words("Net value"), f"{one['low']} … {one['high']}")]
    return Slide("content", f"{words('Pooled ROI')}: {one['roi']}", notes=notes,
                 figures=figures, lines=context["roi"], chart=chart, section=context["title"])


def health_slide(words: Words, context: dict, portfolio: Portfolio, colours: dict) -> Slide:
    """How many accounts are green, amber, red or without a health score, as bars."""
    rows = context["health"]
    chart = ChartSpec("bar", [row["label"] for row in rows],
                      [Series(words("Accounts"), [portfolio.health[row["status"]] for row in rows],
                              colours["primary"])],
                      number_format="0",
                      bar_colours=[HEALTH_COLOURS[row["status"]] for row in rows],
                      value_axis=False, point_labels=[row["accounts"] for row in rows])
    return Slide("content", words("Account health"), chart=chart, section=context["title"],
                 notes=[context["accounts"], *(f"{row['label']}: {row['accounts']}"
                                               for row in rows)])


def portfolio_slides(words: Words, context: dict, portfolio: Portfolio,
                     colours: dict) -> list[Slide]:
    """Every slide of the portfolio's deck, in order."""
    cover = Slide("title", context["title"],
                  notes=[context["internal_note"], context["accounts"], context["method_note"]],
                  subtitle=f"{context['internal']}\n{context['accounts']}")
    kpis = [kpi_slide(words, context, section, kpi, colours)
            for section, kpi in zip(context["kpis"], portfolio.kpis)]
    return [cover, measurable_slide(words, context), *kpis,
            roi_slide(words, context, portfolio, colours),
            health_slide(words, context, portfolio, colours)]


def render_portfolio_deck(portfolio: Portfolio, words: Words, context: dict) -> bytes:
    """The review's deck (.pptx bytes) from its words and context (`portfolio_pages`, the
    PDF's own), byte-identical from run to run."""
    from valueproof.report.deck.render import require_pptx
    from valueproof.report.deck.reproducible import normalised_zip, stamp_of
    from valueproof.report.deck.template import open_template

    require_pptx()
    brand = Brand()  # the vendor's own review: the default brand, never a customer's
    colours = {"primary": brand.primary, "neutral": brand.neutral, "accent": brand.accent,
               "positive": HEALTH_COLOURS["green"], "negative": HEALTH_COLOURS["red"]}
    # customer text (account names, KPI labels) without control characters, as in the PDF
    slides = [typeset(map_text(slide, printable), words.fmt.locale.language)
              for slide in portfolio_slides(words, context, portfolio, colours)]
    deck = open_template(None)
    writer = DeckWriter(deck, colours, words.fmt.rtl, built_in=True, footer=context["internal"])
    for number, slide in enumerate(slides, 1):
        writer.add(slide, number, len(slides))
    stamp, zip_time = stamp_of(portfolio_date(portfolio))
    properties = deck.core_properties
    properties.title = context["title"]
    properties.author = properties.last_modified_by = "valueproof"
    properties.language = words.fmt.language
    properties.revision = 1
    buffer = io.BytesIO()
    deck.save(buffer)
    return normalised_zip(buffer.getvalue(), stamp, zip_time)
