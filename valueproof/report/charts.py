"""Report charts: matplotlib figures with a fixed layout in the report's fonts and the brand's
colours, each returned as an SVG data URI (`svg`: text kept as text, deterministic output)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from valueproof.language.formatting import unisolated
from valueproof.report import svg

FONT_FAMILY = "Noto Sans"
MINUS_FONT = "Noto Sans Math"  # a two-glyph subset: the true minus sign (U+2212) the text uses
WIDTH_IN = 6.6  # fits the A4 / Letter text width at 18 mm margins


def _plain_number(value: float) -> str:
    return f"{value:g}".replace("-", "\u2212")


@dataclass(frozen=True)
class ChartStyle:
    primary: str
    neutral: str
    negative: str = "#B3261E"
    positive: str = "#1E7F4F"
    ink: str = "#1F2933"
    muted: str = "#6B7680"
    # value axis tick labels in the report's locale (decimal comma, true minus)
    number: Callable[[float], str] = _plain_number


_configured = False


def _matplotlib(font_dir: Path):
    """Configure matplotlib once, with the shipped font and reproducible SVG settings. Figures
    are made with `matplotlib.figure.Figure` directly: no pyplot, no GUI backend."""
    global _configured
    import matplotlib
    from matplotlib import font_manager
    from matplotlib.figure import Figure

    if not _configured:
        import logging

        # bold text looks for a bold face of every fallback family; the minus sign's subset has
        # none, and needs none (it is only ever used for the sign), so that lookup is not news
        logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
        for font in sorted(font_dir.glob("NotoSans*.ttf")):
            font_manager.fontManager.addfont(str(font))
        matplotlib.rcParams.update({
            "svg.fonttype": "none",  # text stays text: searchable, and set in the report's font
            "svg.hashsalt": "valueproof",  # stable element ids
            "text.parse_math": False,  # labels are customer text: '$50/h … $5' is not mathtext
            # per-glyph fallback; the generic family ends the SVG's font list (a viewer without
            # the shipped fonts draws sans-serif, not its default serif), and expands to the same
            # two fonts, so matplotlib measures and falls back exactly as before
            "font.family": [FONT_FAMILY, "Noto Sans Arabic", MINUS_FONT, "sans-serif"],
            "font.sans-serif": [FONT_FAMILY, "Noto Sans Arabic", MINUS_FONT],
            "font.size": 8.5,
            "axes.unicode_minus": True,  # drawn from MINUS_FONT, as in the text
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.linewidth": 0.6,
            "axes.edgecolor": "#9AA5B1",
            "xtick.color": "#52606D",
            "ytick.color": "#52606D",
            "xtick.major.width": 0.6,
            "ytick.major.width": 0.6,
            "axes.labelcolor": "#3E4C59",
            "axes.grid": True,
            "axes.grid.axis": "y",
            # the value axis' title sits on the axes' top (nothing is drawn above the axes): a
            # fixed place, so drawing a chart does not lay its ticks out again to find one
            "axes.titley": 1.0,
            "grid.color": "#E4E7EB",
            "grid.linewidth": 0.6,
        })
        _configured = True
    return Figure


def figure_class(font_dir: Path):
    """matplotlib's Figure, configured with the report's fonts and SVG settings: for charts
    drawn in their own module in the report's style (the portfolio's forest plots)."""
    return _matplotlib(font_dir)


def _figure(figure_class, height: float):
    fig = figure_class(figsize=(WIDTH_IN, height))
    # fixed layout: room for direct labels at right and for the value axis' title on top
    ax = fig.add_axes((0.09, 0.14, 0.72, 1 - 0.14 - 0.26 / height))
    return fig, ax


def _value_axis(ax, style: ChartStyle, title: str, width: float = WIDTH_IN,
                x: float = -0.09 / 0.72 + 0.01) -> None:
    """Tick labels of the value axis in the report's locale, and the axis' title written
    above it, left-aligned at `x` (axes fraction) in a chart `width` inches wide (a long title
    fits the chart's width instead of being cut off at the chart's height, as a rotated label
    was)."""
    from matplotlib.ticker import FuncFormatter

    # matplotlib formats each tick several times while it draws; the locale's formatting is not
    # free, so each value is formatted once
    number = functools.lru_cache(maxsize=None)(style.number)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: number(value)))
    ax.set_title(svg.fit(title, 0.9 * width * 72, size=8), loc="left", fontsize=8,
                 color="#3E4C59", pad=4, x=x)


def _ticks(ax, labels: list[str], most: int = 7) -> None:
    """The category axis labelled at every step-th label, at most `most`, and no more than fit
    side by side under the axes (Arabic month names are longer than English ones)."""
    widest = max((svg.text_width(label, "normal", 8.5) for label in labels), default=0.0)
    most = max(2, min(most, int(0.72 * WIDTH_IN * 72 // (widest + 12))))
    step = max(1, -(-len(labels) // most))
    ticks = list(range(0, len(labels), step))
    ax.set_xticks(ticks, [labels[i] for i in ticks])


def _end_text(text: str, lines: int) -> str:
    """A direct label's text fitted to the room right of the axes (0.19 of the width) less the
    label's 6 pt offset."""
    return svg.fit(text, 0.19 * WIDTH_IN * 72 - 6, lines=lines, chars=16, weight="bold")


def _end_label(ax, text: str, xy: tuple[float, float], colour: str) -> None:
    """A direct label (`_end_text`) right of the point `xy`, at the end of its line."""
    ax.annotate(text, xy, xytext=(6, 0), textcoords="offset points", va="center", color=colour,
                fontsize=8.5, fontweight="bold", annotation_clip=False)


def _rollout_line(ax, style: ChartStyle, at: float, label: str | None = None) -> None:
    """The rollout: a dashed line at `at`, with `label` at its top."""
    ax.axvline(at, color=style.ink, linestyle=(0, (4, 3)), linewidth=0.9)
    if label is not None:
        ax.annotate(svg.fit(label, 150, size=8), (at, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(4, -2), textcoords="offset points", va="top", fontsize=8,
                    color=style.ink)


def _label_positions(ends: dict[str, float], limits: tuple[float, float],
                     lines: dict[str, int]) -> dict[str, float]:
    """End-of-line label heights, pushed apart when the two lines end close together."""
    if len(ends) < 2:
        return dict(ends)
    (low_name, low), (high_name, high) = sorted(ends.items(), key=lambda item: item[1])
    # one text line is about 8% of the axes' height; keep half of each label plus a margin apart
    gap = (0.08 * (lines[low_name] + lines[high_name]) / 2 + 0.03) * (limits[1] - limits[0])
    if high - low >= gap:
        return dict(ends)
    middle = (low + high) / 2
    return {low_name: middle - gap / 2, high_name: middle + gap / 2}


def trend_chart(font_dir: Path, style: ChartStyle, periods: list[str], post: list[bool],
                treatment: list[tuple[float, float, float]],
                control: list[tuple[float, float, float]] | None, labels: dict[str, str],
                scale: float, y_label: str, rollout_label: str,
                partial: list[bool] | None = None, cut: list[bool] | None = None) -> str:
    """Treatment vs control means per period with 95% bands and the rollout marked; the period
    split by the rollout (`partial`, left out of the estimates) is shaded, and periods only
    partly inside the compared time (`cut`) lightly."""
    fig, ax = _figure(_matplotlib(font_dir), 2.6)
    x = list(range(len(periods)))
    split = [i for i, flag in enumerate(partial or []) if flag]
    if split:
        ax.axvspan(min(split) - 0.5, max(split) + 0.5, color=style.muted, alpha=0.18, linewidth=0)
    for i in (i for i, flag in enumerate(cut or []) if flag):
        ax.axvspan(i - 0.5, i + 0.5, color=style.muted, alpha=0.08, linewidth=0)
    series = [("treatment", treatment, style.primary)]
    if control is not None:
        series.insert(0, ("control", control, style.neutral))
    ends = {}
    for name, values, colour in series:
        mean = [v[0] * scale for v in values]
        band = [(np.nan, np.nan) if v[1] is None else (v[1] * scale, v[2] * scale) for v in values]
        ax.fill_between(x, [b[0] for b in band], [b[1] for b in band],
                        color=colour, alpha=0.15, linewidth=0)
        ax.plot(x, mean, color=colour, linewidth=1.8 if name == "treatment" else 1.4)
        ends[name] = mean[-1]
    wrapped = {name: _end_text(labels[name], 3) for name, _, _ in series}
    positions = _label_positions(ends, ax.get_ylim(),
                                 {name: text.count("\n") + 1 for name, text in wrapped.items()})
    for name, _, colour in series:
        _end_label(ax, wrapped[name], (x[-1], positions[name]), colour)
    if any(post) and not all(post):
        _rollout_line(ax, style, post.index(True) - 0.5, rollout_label)
    _ticks(ax, periods)
    ax.set_xlim(-0.3, len(periods) - 0.7)
    _value_axis(ax, style, y_label)
    return svg.data_uri(fig)


def event_study_chart(font_dir: Path, style: ChartStyle, periods: list[str], post: list[bool],
                      points: list[tuple[float, float, float]], scale: float, y_label: str,
                      effect: float | None = None) -> str:
    """Gap between groups per period relative to their average gap before the rollout, with 95%
    intervals; `effect` (the headline estimate) is drawn across the post periods."""
    fig, ax = _figure(_matplotlib(font_dir), 2.1)
    ax.axhline(0, color=style.muted, linewidth=0.8)
    # One artist per group of points (not one per point): a far smaller SVG to draw.
    for is_post, colour in ((False, style.neutral), (True, style.primary)):
        index = [i for i, p in enumerate(post) if p == is_post]
        if not index:
            continue
        ax.vlines(index, [points[i][1] * scale for i in index], [points[i][2] * scale for i in index],
                  color=colour, linewidth=1.2)
        ax.plot(index, [points[i][0] * scale for i in index], "o", color=colour, markersize=3.8,
                linestyle="none")
    after = [i for i, p in enumerate(post) if p]
    if effect is not None and after and math.isfinite(effect):
        ax.hlines(effect * scale, after[0] - 0.4, after[-1] + 0.4, color=style.primary,
                  linestyle=(0, (4, 3)), linewidth=0.9)
    if any(post) and not all(post):
        _rollout_line(ax, style, post.index(True) - 0.5)
    _ticks(ax, periods)
    ax.set_xlim(-0.5, len(periods) - 0.5)
    _value_axis(ax, style, y_label)
    return svg.data_uri(fig)


def _event_ticks(times: list[int], most: int = 9) -> list[int]:
    """Ticks at multiples of a round step (1, 2, 4, 5, 10, …) that include 0."""
    span = max(times) - min(times)
    step = next(s for s in (1, 2, 4, 5, 10, 20, 25, 50, 100, 10**9) if span / s <= most - 1)
    return [t for t in range(min(times), max(times) + 1) if t % step == 0]


def dynamic_chart(font_dir: Path, style: ChartStyle, times: list[int],
                  points: list[tuple[float, float, float]], scale: float, y_label: str,
                  x_label: str, rollout_label: str, effect: float | None = None,
                  effect_label: str = "") -> str:
    """A rollout in waves: the effect by time since each wave's rollout (event time, 0 = the
    first period with the product) with its interval or band; before the rollout grey open
    circles, after it filled points in the brand colour; `effect` (the headline average across
    waves) is drawn across the post periods with a direct label."""
    fig = _matplotlib(font_dir)(figsize=(WIDTH_IN, 2.6))
    ax = fig.add_axes((0.09, 0.19, 0.72, 0.71))  # as `_figure`, with room for the x label
    ax.axhline(0, color=style.muted, linewidth=0.8)
    for is_post, colour in ((False, style.neutral), (True, style.primary)):
        index = [i for i, t in enumerate(times) if (t >= 0) == is_post]
        if not index:
            continue
        bars = [i for i in index if points[i][1] is not None and math.isfinite(points[i][1])]
        ax.vlines([times[i] for i in bars], [points[i][1] * scale for i in bars],
                  [points[i][2] * scale for i in bars], color=colour, linewidth=1.2)
        ax.plot([times[i] for i in index], [points[i][0] * scale for i in index], "o",
                color=colour, markersize=4.2, linestyle="none",
                markerfacecolor=colour if is_post else "white", markeredgewidth=1.1)
    after = [t for t in times if t >= 0]
    if effect is not None and after and math.isfinite(effect):
        ax.hlines(effect * scale, -0.4, after[-1] + 0.4, color=style.primary,
                  linestyle=(0, (4, 3)), linewidth=0.9)
        _end_label(ax, _end_text(effect_label, 3), (after[-1] + 0.4, effect * scale),
                   style.primary)
    if min(times) < 0 <= max(times):
        _rollout_line(ax, style, -0.5, rollout_label)
    ticks = _event_ticks(times)
    ax.set_xticks(ticks, [style.number(t) for t in ticks])
    ax.set_xlim(min(times) - 0.7, max(times) + 0.7)
    ax.set_xlabel(svg.fit(x_label, 0.72 * WIDTH_IN * 72))
    _value_axis(ax, style, y_label)
    return svg.data_uri(fig)


def roi_chart(font_dir: Path, style: ChartStyle, items: list[tuple[str, float, str]],
              axis_label: str, tick_format) -> str:
    """Horizontal bars: each benefit (+ or −), each cost (−) and the net, in money."""
    money = tick_format
    tick_format = lambda value: unisolated(money(value))  # noqa: E731
    height = 0.5 + 0.32 * len(items)
    fig = _matplotlib(font_dir)(figsize=(WIDTH_IN, height))
    ax = fig.add_axes((0.34, 0.5 / height + 0.02, 0.62, 1 - 0.62 / height))
    colours = {"benefit": style.positive, "loss": style.negative, "cost": style.neutral,
               "net": style.primary}
    y = list(range(len(items)))[::-1]
    values = [v for _, v, _ in items]
    ax.set_axisbelow(True)  # gridlines behind the bars
    ax.barh(y, values, color=[colours[k] for _, _, k in items], height=0.62)
    # tick labels: the room left of the axes (0.34 of the width) less the tick padding
    ax.set_yticks(y, [svg.fit(label, 0.34 * WIDTH_IN * 72 - 6, lines=2, chars=30)
                      for label, _, _ in items])
    ax.axvline(0, color=style.muted, linewidth=0.8)
    ax.grid(axis="x", color="#E4E7EB", linewidth=0.6)
    ax.grid(axis="y", visible=False)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.xaxis.set_major_formatter(lambda value, _: tick_format(value))
    # each bar's value at its end (outside the bar), room for it on both sides
    low, high = min(0.0, *values), max(0.0, *values)
    pad = 0.24 * (high - low or 1.0)
    ax.set_xlim(low - (pad if low < 0 else 0), high + (pad if high > 0 else 0))
    for position, value in zip(y, values):
        ax.annotate(tick_format(value), (value, position), xytext=(3 if value >= 0 else -3, 0),
                    textcoords="offset points", va="center",
                    ha="left" if value >= 0 else "right", fontsize=7.5, color=style.ink)
    ax.set_xlabel(svg.fit(axis_label, 0.62 * WIDTH_IN * 72))
    ax.tick_params(axis="y", length=0)
    return svg.data_uri(fig)


def weekly_active_chart(font_dir: Path, style: ChartStyle, weeks: list[str], users: list[int],
                        current: list[bool], quarters: tuple[str, str], licences: int | None,
                        licence_label: str, y_label: str) -> str:
    """Weekly active users as bars (the previous quarter grey, this quarter in the brand
    colour) against the licences bought (a dashed line labelled at its end); each quarter's name
    above its weeks."""
    fig, ax = _figure(_matplotlib(font_dir), 2.3)
    x = list(range(len(weeks)))
    ax.set_axisbelow(True)
    ax.bar(x, users, width=0.72, linewidth=0,
           color=[style.primary if c else style.neutral for c in current])
    top = max([*users, licences or 0, 1])
    ax.set_ylim(0, top * 1.22)
    if licences:
        ax.axhline(licences, color=style.ink, linestyle=(0, (4, 3)), linewidth=0.9)
        _end_label(ax, _end_text(licence_label, 2), (len(weeks) - 0.5, licences), style.ink)
    if any(current) and not all(current):
        boundary = current.index(True) - 0.5
        ax.axvline(boundary, color=style.muted, linewidth=0.6)
        spans = ((-0.5, boundary, quarters[0]), (boundary, len(weeks) - 0.5, quarters[1]))
    else:
        spans = ((-0.5, len(weeks) - 0.5, quarters[1 if any(current) else 0]),)
    for start, end, name in spans:
        ax.annotate(svg.fit(name, 140, size=8), ((start + end) / 2, 1.0),
                    xycoords=("data", "axes fraction"), xytext=(0, -2),
                    textcoords="offset points", ha="center", va="top", fontsize=8,
                    color=style.muted)
    _ticks(ax, weeks, 9)
    ax.set_xlim(-0.6, len(weeks) - 0.4)
    ax.tick_params(axis="x", length=0)
    _value_axis(ax, style, y_label)
    return svg.data_uri(fig)


def nps_chart(font_dir: Path, style: ChartStyle, labels: list[str], scores: list[float],
              intervals: list[tuple[float, float] | None], y_label: str,
              width: float = 3.3) -> str:
    """NPS over time: one point per period with its likely range (when known) and its value,
    on a zero line; a small chart for a column beside the figures."""
    fig = _matplotlib(font_dir)(figsize=(width, 1.9))
    ax = fig.add_axes((0.17, 0.15, 0.78, 1 - 0.15 - 0.26 / 1.9))
    x = list(range(len(labels)))
    ax.axhline(0, color=style.muted, linewidth=0.8)
    bars = [i for i in x if intervals[i] is not None]
    ax.vlines(bars, [intervals[i][0] for i in bars], [intervals[i][1] for i in bars],
              color=style.primary, linewidth=1.2)
    ax.plot(x, scores, "o", color=style.primary, markersize=4.2, linestyle="none")
    if len(x) > 1:
        ax.plot(x, scores, color=style.primary, linewidth=0.8, alpha=0.5)
    for i, score in enumerate(scores):
        shown = style.number(round(score))
        ax.annotate(("+" if round(score) > 0 else "") + shown, (i, score), xytext=(5, 3),
                    textcoords="offset points", va="bottom", fontsize=8, color=style.ink)
    ends = [v for pair in intervals if pair for v in pair] + list(scores) + [0.0]
    low, high = max(-100.0, min(ends) - 10), min(100.0, max(ends) + 10)
    ax.set_ylim(low, high)
    ax.set_xticks(x, labels)
    ax.set_xlim(-0.5, len(x) - 0.5 + 0.3)
    ax.tick_params(axis="x", length=0)
    _value_axis(ax, style, y_label, width, -0.17 / 0.78 + 0.02)
    return svg.data_uri(fig)


def activation_chart(font_dir: Path, style: ChartStyle, days: list[int], shares: list[float],
                     target: float, reached: int | None, target_label: str, reached_label: str,
                     y_label: str, x_label: str) -> str:
    """The first 90 days: the share of licences (%) that had used the product by each day since
    onboarding, the target share dashed, and the day it was reached marked."""
    fig = _matplotlib(font_dir)(figsize=(WIDTH_IN, 1.9))
    ax = fig.add_axes((0.09, 0.27, 0.72, 0.59))  # as `_figure`, with room for the x label
    ax.plot(days, [s * 100 for s in shares], color=style.primary, linewidth=1.8)
    ax.axhline(target * 100, color=style.ink, linestyle=(0, (4, 3)), linewidth=0.9)
    _end_label(ax, _end_text(target_label, 2), (max(days), target * 100), style.ink)
    if reached is not None:
        value = shares[days.index(reached)] * 100 if reached in days else target * 100
        ax.plot([reached], [value], "o", color=style.primary, markersize=4.5)
        ax.annotate(svg.fit(reached_label, 160, size=8), (reached, value), xytext=(6, -4),
                    textcoords="offset points", ha="left", va="top", fontsize=8,
                    color=style.ink)
    ax.set_ylim(0, 105)
    ax.set_xlim(0, max(max(days), 1))
    ticks = [d for d in range(0, max(days) + 1, 15)]
    ax.set_xticks(ticks, [style.number(t) for t in ticks])
    ax.set_xlabel(svg.fit(x_label, 0.72 * WIDTH_IN * 72))
    _value_axis(ax, style, y_label)
    return svg.data_uri(fig)
