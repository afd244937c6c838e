"""The Python entry point: the whole pipeline, config -> data -> stats -> value."""

from __future__ import annotations

from pathlib import Path

from valueproof.stats.results import Results


def analyze(path: str | Path) -> Results:
    """Analyse an experiment definition; returns results with `to_dict()` and `to_frame()`."""
    from valueproof.config import load_experiment
    from valueproof.data import load_dataset
    from valueproof.stats import analyze_dataset
    from valueproof.value import assess_value

    experiment = load_experiment(path)
    return assess_value(experiment, analyze_dataset(experiment, load_dataset(experiment)))
