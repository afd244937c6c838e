"""`valueproof validate`: is this experiment usable, and what do its data look like?"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from valueproof.config import Experiment, load_experiment
from valueproof.config.brand import load_brand
from valueproof.data import Dataset, load_dataset
from valueproof.errors import ConfigError


@dataclass(frozen=True)
class Validation:
    experiment: Experiment
    dataset: Dataset
    asset_warnings: list[str]  # logos the report will leave out, and why
    wave_warnings: list[str] = field(default_factory=list)  # rollout in waves: waves too small
    adoption: object | None = None  # `valueproof.adoption.results.AdoptionOutcome`


SMALL_WAVE = 3  # units: a wave smaller than this says nothing on its own


def wave_warnings(dataset: Dataset) -> list[str]:
    """A rollout in waves: every wave with fewer than `SMALL_WAVE` units."""
    return [f"wave {number} (from {wave.first_rollout}) has only {wave.units} unit(s): too small "
            "to say anything on its own; it counts in the average across waves by its size"
            for number, wave in enumerate(dataset.waves, start=1) if wave.units < SMALL_WAVE]


def check_assets(experiment: Experiment) -> list[str]:
    """Logos and brand file must exist and lie inside the experiment's folder (or an allowed
    root); the brand file must be valid. Returns a warning for every logo the report will leave
    out because it cannot be drawn safely (see `valueproof.report.logos`)."""
    from valueproof.report.logos import LogoProblem, logo_mime, logo_warning

    assets = [("brand", experiment.brand)]
    for party in ("customer", "vendor"):
        info = getattr(experiment, party)
        if info is not None:
            assets.append((f"{party}.logo", info.logo))
    warnings = []
    for key, path in assets:
        if path is None:
            continue
        full = experiment.resolve(path, key)
        if not full.is_file():
            raise ConfigError(f"{key}: file '{path}' not found (looked in {full.parent})")
        if key.endswith("logo"):
            try:
                logo_mime(full)
            except LogoProblem as problem:
                warnings.append(logo_warning(key, path, problem))
    load_brand(experiment.resolve(experiment.brand, "brand") if experiment.brand else None)
    return warnings


def validate(path: str | Path, allowed_roots: tuple[Path, ...] = (),
             connections: Path | None = None) -> Validation:
    """Load and check a definition and its data without running any statistics (databases
    through the operator's `connections` file)."""
    from valueproof.config.connections import Connections

    experiment = load_experiment(path, allowed_roots, Connections(connections))
    warnings = check_assets(experiment)
    dataset = load_dataset(experiment, build_panel=False)
    return Validation(experiment, dataset, warnings, wave_warnings(dataset),
                      check_adoption(experiment, dataset))


def check_adoption(experiment: Experiment, dataset: Dataset):
    """The adoption numbers at the date the scorecard is judged at (reading the adoption files
    checks them: errors stop here, findings come back as warnings); None without adoption."""
    import datetime as dt

    from valueproof.adoption import assess_adoption
    from valueproof.value import judged_at

    post_end = dataset.post.end if isinstance(dataset.post.end, dt.date) else None
    return assess_adoption(experiment, judged_at(experiment, post_end))
