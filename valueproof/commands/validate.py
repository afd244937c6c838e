"""`valueproof validate`: is this experiment usable, and what do its data look like?"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from valueproof.config import Experiment
from valueproof.data import Dataset
from valueproof.data.donors import left_out_counts
from valueproof.data.thresholds import SMALL_WAVE
from valueproof.value.plan import steps_without_owner, written_steps


@dataclass(frozen=True)
class Validation:
    experiment: Experiment
    dataset: Dataset
    asset_warnings: list[str]  # logos the report will leave out, and why
    wave_warnings: list[str] = field(default_factory=list)  # rollout in waves: waves too small
    adoption: object | None = None  # `valueproof.adoption.results.AdoptionOutcome`
    step_warnings: list[str] = field(default_factory=list)  # next steps without owner or date
    donors: object | None = None  # `comparison`: `valueproof.data.donors.Donors`


def wave_warnings(dataset: Dataset) -> list[str]:
    """A rollout in waves: every wave with fewer than `SMALL_WAVE` units."""
    return [f"wave {number} (from {wave.first_rollout}) has only {wave.units} unit(s): too small "
            "to say anything on its own; it counts in the average across waves by its size"
            for number, wave in enumerate(dataset.waves, start=1) if wave.units < SMALL_WAVE]


#: Left-out donors listed one by one by `validate`; the rest are counted.
LISTED_DONORS = 20


def donor_lines(donors) -> list[str]:
    """`comparison`: how many donor accounts are kept and left out, by reason, then the left out
    ones with their reasons (the first `LISTED_DONORS`)."""
    if donors is None:
        return []
    counts = left_out_counts(donors.excluded)
    lines = [f"Donors: {len(donors.kept):,} kept, {len(donors.excluded):,} left out"
             + (f" ({counts})" if counts else "")]
    lines += [f"  left out {e['donor']}: {e['reason']}" for e in donors.excluded[:LISTED_DONORS]]
    if len(donors.excluded) > LISTED_DONORS:
        lines.append(f"  … and {len(donors.excluded) - LISTED_DONORS:,} more (all in the "
                     "results JSON, 'donors')")
    return lines


def grid_text(experiment: Experiment, dataset: Dataset) -> str | None:
    """Which cells count and sum KPIs are read on (`data.grid`), in one sentence."""
    grid = dataset.grid
    if grid is None:
        return None
    if grid.rule == "none":  # nothing is zero-filled
        return (f"Counts and sums: none among the KPIs, so data.roster ({grid.roster_units:,} "
                "unit(s) with dates) changes nothing" if grid.roster_units else None)
    step = experiment.analysis.period if dataset.time_kind == "date" else "period"
    filled = (f"{grid.units:,} unit(s), {grid.cells:,} unit-{step} cells, of which "
              f"{grid.zero_filled:,} have no rows and count as zero")
    if grid.units_without_rows:
        filled += f" ({grid.units_without_rows:,} unit(s) without any row in the windows)"
    if grid.rule == "span":
        return (f"Counts and sums: repeated cross-section, so each unit from its first to its "
                f"last {step} with rows: {filled}")
    rule = (f"roster (data.roster gives the dates of {grid.roster_units:,} unit(s); each unit "
            f"on the {step}s of the compared windows within its dates, absent outside them)"
            if grid.rule == "roster" else
            f"full grid (every unit of the assignment on every {step} of the compared windows)")
    return f"Counts and sums: {rule}: {filled}"


def validate(path: str | Path, allowed_roots: tuple[Path, ...] = (),
             connections: Path | None = None) -> Validation:
    """Load and check a definition and its data without running any statistics (databases
    through the operator's `connections` file)."""
    from valueproof.commands.pipeline import read_inputs

    experiment, dataset, warnings, adoption, donors = read_inputs(path, allowed_roots,
                                                                   connections)
    steps = list(filter(None, [steps_without_owner(written_steps(experiment))]))
    return Validation(experiment, dataset, warnings, wave_warnings(dataset), adoption, steps,
                      donors)
