"""The Python entry point: the whole pipeline, config -> data -> stats -> value."""

from __future__ import annotations

from pathlib import Path

from valueproof.stats.results import Results


def pipeline(path: str | Path, check_assets: bool = False, allowed_roots: tuple[Path, ...] = (),
             connections: Path | None = None):
    """config -> data -> stats -> value: the definition and its results. `allowed_roots`: folders
    besides its own whose files the definition may read; `connections`: the operator's
    connections.yaml (None: VALUEPROOF_CONNECTIONS or the user's configuration folder)."""
    from valueproof.config.connections import Connections
    from valueproof.config import load_experiment
    from valueproof.data import load_dataset
    from valueproof.stats import analyze_dataset
    from valueproof.commands.validate import check_assets as check
    from valueproof.value import assess_value

    experiment = load_experiment(path, allowed_roots, Connections(connections))
    if check_assets:  # before the slow part: a missing logo should not wait for the statistics
        check(experiment)
    return experiment, assess_value(experiment, analyze_dataset(experiment, load_dataset(experiment)))


def analyze(path: str | Path, allowed_roots: tuple[Path, ...] = (),
            connections: Path | None = None) -> Results:
    """Analyse an experiment definition; returns results with `to_dict()` and `to_frame()`."""
    return pipeline(path, allowed_roots=allowed_roots, connections=connections)[1]
