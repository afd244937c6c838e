"""`valueproof report`: the pipeline, then the PDF (and HTML, JSON, slide deck) written all together
or not at all."""

from __future__ import annotations

import dataclasses
from pathlib import Path


def check_locale_option(locale: str) -> None:
    """--locale names a language the reports are written in; ValueproofError saying which
    otherwise."""
    from valueproof.config.types import check_locale
    from valueproof.errors import ValueproofError

    try:
        check_locale(locale)
    except ValueError as exc:
        raise ValueproofError(f"--locale {exc}") from None


DECK_SUFFIXES = (".pptx", ".pdf")


def check_deck_option(deck: Path | None) -> None:
    """--deck names a .pptx (the editable deck) or a .pdf (its slides as PDF), and python-pptx
    is installed; ValueproofError saying what to do otherwise (before any work)."""
    from valueproof.errors import ValueproofError

    if deck is None:
        return
    if deck.suffix.lower() not in DECK_SUFFIXES:
        raise ValueproofError(f"--deck {deck}: give a .pptx file (the editable deck) or a .pdf "
                              "file (its slides as PDF)")
    from valueproof.report.deck.render import require_pptx

    require_pptx()


def deck_inputs(experiment) -> dict[str, Path]:
    """The brand's deck template, an input no output may overwrite (none without one)."""
    from valueproof.config.brand import load_brand
    from valueproof.report.deck.render import template_path

    if not experiment.brand:
        return {}
    path = template_path(experiment, load_brand(experiment.resolve(experiment.brand, "brand")))
    return {"brand template": path} if path is not None else {}


def deck_bytes(experiment, results, context, deck: Path) -> bytes:
    """The deck as the file `deck` names it: .pptx, or .pdf of the same slides; `context` is
    the report's (`report_context`), shared with the PDF."""
    from valueproof.report.deck.render import deck_pdf, render_deck

    pptx = render_deck(experiment, results, context)
    return deck_pdf(pptx) if deck.suffix.lower() == ".pdf" else pptx


def make_report(experiment_path: Path, output: Path, html_path: Path | None = None,
                locale: str | None = None, json_path: Path | None = None,
                allowed_roots: tuple[Path, ...] = (), connections: Path | None = None,
                deck: Path | None = None):
    """The whole pipeline for one experiment: config -> data -> stats -> value -> report.

    Writes the PDF (and the HTML, results JSON and slide deck when given) all together or not
    at all; the returned results carry the report's warnings too (a logo left out)."""
    from valueproof.commands.outputs import (check_outputs, experiment_inputs, results_json,
                                             write_all)
    from valueproof.commands.pipeline import asset_warnings, load_definition, run_stages
    from valueproof.report.context import report_context
    from valueproof.report.render import render_report

    if locale is not None:
        check_locale_option(locale)
    check_deck_option(deck)
    outputs = {"--output": output, "--html": html_path, "--json": json_path, "--deck": deck}
    experiment = load_definition(experiment_path, allowed_roots, connections)
    inputs = experiment_inputs(experiment, Path(experiment_path))
    if deck is not None:
        inputs.update(deck_inputs(experiment))
    check_outputs(outputs, inputs)
    asset_warnings(experiment)  # a missing logo should not wait for the statistics
    results = run_stages(experiment)
    context = report_context(experiment, results, locale)  # once, for the PDF and the deck
    rendered = render_report(experiment, results, context, with_html=html_path is not None)
    results = dataclasses.replace(results, warnings=[*results.warnings, *rendered.warnings])
    files = [(output, rendered.pdf)]
    if html_path is not None:
        files.append((html_path, rendered.html))
    if json_path is not None:
        files.append((json_path, results_json(results)))
    if deck is not None:
        files.append((deck, deck_bytes(experiment, results, context, deck)))
    write_all(files)
    return results
