"""The one place that runs the stages: config -> data -> stats | adoption -> value.

`analyze` and `report` run them all (`pipeline`), `validate` reads and checks every input without
any statistics (`read_inputs`), and batch planning reads the definition alone (`load_definition`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the statistics' modules (about 1 s) load with the stages, not before:
    from valueproof.stats.results import Results  # batch planning reads definitions only


def load_definition(path: str | Path, allowed_roots: tuple[Path, ...] = (),
                    connections: Path | None = None):
    """config: the experiment definition, read and checked. `allowed_roots`: folders besides its
    own whose files the definition may read; `connections`: the operator's connections.yaml
    (None: VALUEPROOF_CONNECTIONS or the user's configuration folder)."""
    from valueproof.config import load_experiment
    from valueproof.config.connections import Connections

    return load_experiment(path, allowed_roots, Connections(connections))


def asset_warnings(experiment) -> list[str]:
    """Logos and brand file must exist and lie inside the experiment's folder (or an allowed
    root); the brand file must be valid (ConfigError otherwise). Returns a warning for every logo
    the report will leave out because it cannot be drawn safely (see `valueproof.report.logos`)."""
    from valueproof.config.brand import load_brand
    from valueproof.errors import ConfigError
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


def run_stages(experiment) -> Results:
    """data -> stats | adoption -> value for a definition already read: the results. Adoption is
    counted at the date the scorecard is judged at, from the product's start, and handed to the
    value stage with the statistics."""
    from valueproof.adoption import assess_adoption, product_start
    from valueproof.data import load_dataset
    from valueproof.stats import analyze_dataset
    from valueproof.value import as_of_date, assess_value

    dataset = load_dataset(experiment)
    results = analyze_dataset(experiment, dataset, read_donors(experiment, dataset))
    adoption = assess_adoption(experiment, as_of_date(experiment, results),
                               product_start(experiment, results.rollout))
    return assess_value(experiment, results, adoption)


def read_donors(experiment, dataset):
    """data: the donor accounts of `comparison` beside the account's series (None without
    `comparison`); `dataset` needs its panel."""
    if experiment.comparison is None:
        return None
    from valueproof.data.donors import load_donors

    return load_donors(experiment, dataset)


def pipeline(path: str | Path, check_assets: bool = False, allowed_roots: tuple[Path, ...] = (),
             connections: Path | None = None):
    """config -> data -> stats | adoption -> value: the definition and its results
    (`allowed_roots` and `connections` as for `load_definition`)."""
    experiment = load_definition(path, allowed_roots, connections)
    if check_assets:  # before the slow part: a missing logo should not wait for the statistics
        asset_warnings(experiment)
    return experiment, run_stages(experiment)


def analyze(path: str | Path, allowed_roots: tuple[Path, ...] = (),
            connections: Path | None = None, json_path: Path | None = None) -> Results:
    """Analyse an experiment definition; returns results with `to_dict()` and `to_frame()`.
    With `json_path`, also writes the results JSON there (checked before the work: never over
    one of the definition's inputs)."""
    from valueproof.commands.outputs import (check_outputs, experiment_inputs, results_json,
                                             write_atomic)

    experiment = load_definition(path, allowed_roots, connections)
    if json_path is not None:
        check_outputs({"--json": json_path}, experiment_inputs(experiment, Path(path)))
    results = run_stages(experiment)
    if json_path is not None:
        write_atomic(json_path, results_json(results))
    return results


def read_inputs(path: str | Path, allowed_roots: tuple[Path, ...] = (),
                connections: Path | None = None):
    """config -> data -> adoption, without any statistics: every input read and checked, as
    `valueproof validate` shows them. Returns the experiment, its dataset (without the panel),
    the logo warnings, the adoption numbers at the date the scorecard is judged at (None
    without adoption; reading the adoption files checks them: errors stop here, findings come
    back as warnings) and the donor accounts of `comparison` (None without it)."""
    import datetime as dt

    from valueproof.adoption import assess_adoption
    from valueproof.data import load_dataset
    from valueproof.value import judged_at

    experiment = load_definition(path, allowed_roots, connections)
    warnings = asset_warnings(experiment)
    # the donors are read beside the account's series, which needs the panel
    dataset = load_dataset(experiment, build_panel=experiment.comparison is not None)
    donors = read_donors(experiment, dataset)
    if any(kpi.model == "poisson" for kpi in experiment.kpis):  # no negative counts
        from valueproof.stats.poisson_kpi import check_counts

        check_counts(experiment.kpis, dataset.findings)
    post_end = dataset.post.end if isinstance(dataset.post.end, dt.date) else None
    adoption = assess_adoption(experiment, judged_at(experiment, post_end))
    return experiment, dataset, warnings, adoption, donors
