"""The forest plot of one KPI across accounts, in the report's chart style: each account's effect
with its interval (a square sized by its weight), the pooled estimate as a diamond spanning its
interval, and the prediction interval for a new account as a bar below it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from valueproof.report import svg
from valueproof.report.charts import WIDTH_IN, ChartStyle, figure_class

MOST_ROWS = 30  # accounts drawn; a larger portfolio shows those with the largest weights
ROW_IN = 0.2  # height of one row, inches
LABEL_PT = 0.24 * WIDTH_IN * 72  # room for an account's name left of the axes


@dataclass(frozen=True)
class ForestRow:
    label: str
    effect: float  # shown scale (e.g. % or the KPI's units)
    low: float
    high: float
    weight: float  # share of the pooled estimate, 0-1


def forest_rows(rows: list[ForestRow]) -> list[ForestRow]:
    """The rows drawn: at most MOST_ROWS, those with the largest weights, in order of effect."""
    kept = sorted(rows, key=lambda r: -r.weight)[:MOST_ROWS]
    return sorted(kept, key=lambda r: r.effect)


def forest_chart(font_dir: Path, style: ChartStyle, rows: list[ForestRow],
                 pooled: tuple[float, float, float], prediction: tuple[float, float] | None,
                 labels: dict[str, str], axis_title: str) -> str:
    """The SVG data URI of the forest plot. `pooled` is (estimate, low, high); `labels` names
    the pooled row ('pooled') and the prediction row ('prediction')."""
    rows = forest_rows(rows)
    extra = 2 if prediction is not None else 1
    height = 0.75 + ROW_IN * (len(rows) + extra + 0.6)
    fig = figure_class(font_dir)(figsize=(WIDTH_IN, height))
    ax = fig.add_axes((0.27, 0.42 / height, 0.68, 1 - (0.42 + 0.3) / height))
    n = len(rows)
    y = [n + extra - i for i in range(n)]  # accounts from the top
    biggest = max((r.weight for r in rows), default=1.0) or 1.0
    ax.hlines(y, [r.low for r in rows], [r.high for r in rows], color=style.neutral,
              linewidth=1.0)
    ax.scatter([r.effect for r in rows], y, marker="s", color=style.primary, linewidths=0,
               s=[8 + 40 * r.weight / biggest for r in rows], zorder=3)
    estimate, low, high = pooled
    centre = extra - 0.4
    ax.fill([low, estimate, high, estimate], [centre, centre + 0.3, centre, centre - 0.3],
            color=style.primary, linewidth=0, zorder=3)
    ticks, names = y + [centre], [r.label for r in rows] + [labels["pooled"]]
    if prediction is not None:
        ax.hlines(centre - 1, prediction[0], prediction[1], color=style.primary, linewidth=2.4,
                  alpha=0.45)
        ax.plot([estimate], [centre - 1], "o", color=style.primary, markersize=3)
        ticks.append(centre - 1)
        names.append(labels["prediction"])
    ax.axvline(0, color=style.ink, linewidth=0.8)
    ax.axvline(estimate, color=style.primary, linewidth=0.6, linestyle=(0, (3, 3)))
    ax.set_yticks(ticks, [svg.fit(name, LABEL_PT, size=8.5) for name in names])
    ax.set_ylim(centre - (1.6 if prediction is not None else 0.7), n + extra + 0.6)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0)
    from matplotlib.ticker import FuncFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: style.number(value)))
    ax.set_title(svg.fit(axis_title, 0.9 * WIDTH_IN * 72, size=8), loc="left", fontsize=8,
                 color="#3E4C59", pad=4)
    return svg.data_uri(fig)
