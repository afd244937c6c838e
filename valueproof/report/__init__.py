"""Report stage: template context, charts, rendering, localisation."""

from __future__ import annotations

import json
from pathlib import Path


def make_report(experiment_path: Path, output: Path, html_path: Path | None = None,
                locale: str | None = None, json_path: Path | None = None):
    """The whole pipeline for one experiment: config -> data -> stats -> value -> report."""
    from babel import Locale, UnknownLocaleError

    from valueproof.config import load_experiment
    from valueproof.data import load_dataset
    from valueproof.errors import ValueproofError
    from valueproof.output import write_atomic
    from valueproof.report.render import render_pdf
    from valueproof.stats import analyze_dataset
    from valueproof.validate import check_assets
    from valueproof.value import assess_value

    if locale is not None:
        try:
            Locale.parse(locale.replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            raise ValueproofError(f"--locale '{locale}' is not a known locale; use e.g. en, pl") from None
    for target in (output, html_path, json_path):
        if target is not None and not target.parent.resolve().is_dir():
            raise ValueproofError(f"{target}: folder '{target.parent}' does not exist; create it first")
    experiment = load_experiment(experiment_path)
    check_assets(experiment)
    results = assess_value(experiment, analyze_dataset(experiment, load_dataset(experiment)))
    render_pdf(experiment, results, output, html_output=html_path, locale=locale)
    if json_path is not None:
        write_atomic(json_path, json.dumps(results.to_dict(), indent=2, allow_nan=False) + "\n")
    return results
