"""The deck of one QBR: the report's context (the same words and numbers as the PDF) drawn as
slides, written reproducibly. It never loads data nor runs a stage: it takes the results."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from valueproof.config import Experiment
from valueproof.errors import ReportError
from valueproof.stats.results import Results

if TYPE_CHECKING:  # planning a batch reads `template_path` without the report's modules
    from valueproof.report.context import ReportContext

MISSING = ("the slide deck needs python-pptx, which is not installed; install it with "
           "pip install 'valueproof[deck]'")


def require_pptx() -> None:
    """ReportError naming the extra when python-pptx is missing."""
    try:
        import pptx  # noqa: F401
    except ImportError:
        raise ReportError(MISSING) from None


def template_path(experiment: Experiment, brand) -> Path | None:
    """The brand's `template` (a .pptx or .potx), resolved against the brand file's folder and
    refused outside the folders the definition may read."""
    if brand.template is None:
        return None
    from valueproof.errors import ConfigError
    from valueproof.sandbox import Sandbox

    brand_file = experiment.resolve(experiment.brand, "brand")
    path = brand_file.parent / brand.template
    if not Sandbox(experiment.base_dir, *experiment.allowed_roots).holds(path.resolve()):
        raise ConfigError(f"{brand_file}: template: '{brand.template}' lies outside the "
                          "experiment's folder; put the template beside the brand file")
    if not path.is_file():
        raise ConfigError(f"{brand_file}: template: file '{brand.template}' not found (looked "
                          f"in {path.parent}); give a .pptx or .potx beside the brand file")
    return path


def render_deck(experiment: Experiment, results: Results, context: ReportContext) -> bytes:
    """The deck (.pptx bytes) of the QBR whose context (`report_context`, the PDF's own) is
    `context`, byte-identical from run to run."""
    require_pptx()
    from valueproof.language.formatting import Formatter
    from valueproof.language.words import Words
    from valueproof.report.context import report_date
    from valueproof.report.deck.pptx_writer import DeckWriter
    from valueproof.report.deck.reproducible import normalised_zip, stamp_of
    from valueproof.report.deck.slides import deck_slides, precision_note
    from valueproof.report.deck.story import typeset
    from valueproof.report.deck.template import open_template

    brand = context.brand
    template = template_path(experiment, brand)
    fmt = Formatter(context.locale)
    words = Words(context.catalogue, fmt)
    values = context.values
    # with a template, its theme's first accent colour takes the brand's place
    colours = {"primary": "theme:accent1" if template else brand.primary,
               "neutral": brand.neutral, "accent": brand.accent,
               "positive": "#1E7F4F", "negative": "#B3261E"}
    slides = [typeset(slide, fmt.locale.language)
              for slide in deck_slides(words, values, results, colours)]
    for slide in slides:  # wherever a figure is shown, the CSM knows how it was rounded
        if slide.kind == "title" or slide.figures or slide.table or slide.chart:
            slide.notes.append(precision_note(words))
    deck = open_template(template)
    writer = DeckWriter(deck, colours, fmt.rtl, built_in=template is None,
                        footer=brand.footer or words("Confidential"))
    for number, slide in enumerate(slides, 1):
        writer.add(slide, number, len(slides))
    stamp, zip_time = stamp_of(report_date(experiment, results))
    properties = deck.core_properties
    properties.title = f"{values['title']} — {values['customer']}".strip(" —")
    properties.author = values["prepared_by"] or values["vendor"]
    properties.last_modified_by = properties.author
    properties.language = fmt.language
    properties.revision = 1
    buffer = io.BytesIO()
    deck.save(buffer)
    return normalised_zip(buffer.getvalue(), stamp, zip_time)


def deck_pdf(pptx: bytes) -> bytes:
    """The deck as a 16:9 PDF of the same slides, by LibreOffice (see `pdf.convert`)."""
    from valueproof.report.deck.pdf import convert

    return convert(pptx)
