"""Report stage: template context, charts, rendering, localisation."""

from __future__ import annotations

import json
from pathlib import Path


def make_report(experiment_path: Path, output: Path, html_path: Path | None = None,
                locale: str | None = None, json_path: Path | None = None,
                allowed_roots: tuple[Path, ...] = ()):
    """The whole pipeline for one experiment: config -> data -> stats -> value -> report."""
    from valueproof.api import pipeline
    from valueproof.config.schema import check_locale
    from valueproof.errors import ValueproofError
    from valueproof.output import write_atomic
    from valueproof.report.render import render_pdf

    if locale is not None:
        try:
            check_locale(locale)
        except ValueError as exc:
            raise ValueproofError(f"--locale {exc}") from None
    for target in (output, html_path, json_path):
        if target is not None and not target.parent.resolve().is_dir():
            raise ValueproofError(f"{target}: folder '{target.parent}' does not exist; create it first")
    experiment, results = pipeline(experiment_path, check_assets=True, allowed_roots=allowed_roots)
    render_pdf(experiment, results, output, html_output=html_path, locale=locale)
    if json_path is not None:
        write_atomic(json_path, json.dumps(results.to_dict(), indent=2, allow_nan=False) + "\n")
    return results
