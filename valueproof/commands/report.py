"""`valueproof report`: the pipeline, then the PDF (and HTML, JSON) written all together or not at all."""

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


def make_report(experiment_path: Path, output: Path, html_path: Path | None = None,
                locale: str | None = None, json_path: Path | None = None,
                allowed_roots: tuple[Path, ...] = (), connections: Path | None = None):
    """The whole pipeline for one experiment: config -> data -> stats -> value -> report.

    Writes the PDF (and the HTML and results JSON when given) all together or not at all; the
    returned results carry the report's warnings too (a logo left out)."""
    from valueproof.commands.outputs import (check_outputs, experiment_inputs, results_json,
                                             write_all)
    from valueproof.commands.pipeline import asset_warnings, load_definition, run_stages
    from valueproof.report.render import render_report

    if locale is not None:
        check_locale_option(locale)
    outputs = {"--output": output, "--html": html_path, "--json": json_path}
    experiment = load_definition(experiment_path, allowed_roots, connections)
    check_outputs(outputs, experiment_inputs(experiment, Path(experiment_path)))
    asset_warnings(experiment)  # a missing logo should not wait for the statistics
    results = run_stages(experiment)
    rendered = render_report(experiment, results, locale, with_html=html_path is not None)
    results = dataclasses.replace(results, warnings=[*results.warnings, *rendered.warnings])
    files = [(output, rendered.pdf)]
    if html_path is not None:
        files.append((html_path, rendered.html))
    if json_path is not None:
        files.append((json_path, results_json(results)))
    write_all(files)
    return results
