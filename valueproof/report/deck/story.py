"""What a deck's slide holds, renderer-free: a title that is the slide's message, a few big
figures, at most a few lines of body text, a chart or a table, and the speaker notes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

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


_BEFORE_HIGH_PUNCTUATION = re.compile(r"(?<=[^\s\u00a0\u202f])[:;](?=\s)")


def typeset(slide: Slide, language: str) -> Slide:
    """The slide's text with the language's spacing where the deck joins a label and its text
    ('Effet : …' in French, which puts a no-break space before a colon or semicolon); the
    catalogue's sentences already have it."""
    if language != "fr":
        return slide
    return map_text(slide, lambda text: _BEFORE_HIGH_PUNCTUATION.sub(
        lambda m: "\u00a0" + m.group(), text))


def map_text(slide: Slide, fix) -> Slide:
    """The slide with `fix` (text -> text) applied to every text it shows or says (not its
    chart's data)."""
    return replace(
        slide, title=fix(slide.title), subtitle=fix(slide.subtitle),
        notes=[fix(n) for n in slide.notes], lines=[fix(line) for line in slide.lines],
        figures=[replace(f, value=fix(f.value), label=fix(f.label), note=fix(f.note))
                 for f in slide.figures],
        table=None if slide.table is None else replace(
            slide.table, header=[fix(h) for h in slide.table.header],
            rows=[[fix(cell) for cell in row] for row in slide.table.rows]))
