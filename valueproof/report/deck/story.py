"""What a deck's slide holds, renderer-free: a title that is the slide's message, a few big
figures, at most a few lines of body text, a chart or a table, and the speaker notes."""

from __future__ import annotations

from dataclasses import dataclass, field

from valueproof.report.deck.charts import ChartSpec

MAX_SLIDES = 12


@dataclass(frozen=True)
class Figure:
    """A big number with its small label and the range (or a note) under it."""

    value: str
    label: str
    note: str = ""


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]
    widths: list[float] = field(default_factory=list)  # relative column widths


@dataclass(frozen=True)
class Slide:
    """One slide: `kind` is `title` (the cover) or `content`; `notes` are the speaker notes'
    paragraphs (what to say, the likely range, the caveats)."""

    kind: str
    title: str
    notes: list[str]
    subtitle: str = ""
    figures: list[Figure] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    chart: ChartSpec | None = None
    table: Table | None = None
    section: str = ""  # a small label above the title ("Appendix")
