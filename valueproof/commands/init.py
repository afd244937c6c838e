"""`valueproof init`: a small, working experiment for a new user to edit."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from importlib import resources
from pathlib import Path

from valueproof.errors import ValueproofError


def _observations(seed: int = 3) -> list[list]:
    """24 agents x 25 weeks; the pilot team gets -1.5 min handle time and +5 points FCR."""
    import numpy as np

    rng = np.random.default_rng(seed)
    rollout = dt.date(2026, 4, 6)
    rows = []
    for i in range(24):
        team = "pilot" if i < 12 else "standard"
        skill = rng.normal(0, 1.0)
        for week in range(25):
            day = dt.date(2026, 1, 5) + dt.timedelta(weeks=week)
            treated = team == "pilot" and day >= rollout
            tickets = int(rng.poisson(40)) + 1
            minutes = 11 + skill + rng.normal(0, 0.8) - (1.5 if treated else 0)
            resolved = int(rng.binomial(tickets, 0.70 + (0.05 if treated else 0)))
            rows.append([f"AG{i + 1:02d}", team, day.isoformat(), tickets, resolved, round(minutes, 2)])
    return rows


def scaffold(directory: Path, force: bool = False) -> list[Path]:
    """Write experiment.yaml, brand/ and data/ into `directory`; never overwrite without force."""
    if directory.exists() and not directory.is_dir():
        raise ValueproofError(f"{directory}: exists and is not a folder; choose another name")
    if directory.exists() and any(directory.iterdir()) and not force:
        raise ValueproofError(
            f"{directory}: folder is not empty; choose a new folder or pass --force to add files"
        )
    source = resources.files("valueproof") / "scaffold_files"
    targets = [directory / "experiment.yaml", directory / "brand" / "brand.yaml",
               directory / "brand" / "logo.svg", directory / "data" / "observations.csv"]
    existing = [t for t in targets if t.exists()]
    if existing:
        raise ValueproofError(f"{existing[0]}: already exists; valueproof init never overwrites files")
    (directory / "brand").mkdir(parents=True, exist_ok=True)
    (directory / "data").mkdir(exist_ok=True)
    for target in targets[:3]:
        with resources.as_file(source / target.relative_to(directory).as_posix()) as template:
            shutil.copyfile(template, target)
    with targets[3].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["agent_id", "team", "week", "tickets", "resolved_first", "handle_minutes"])
        writer.writerows(_observations())
    return targets
