"""`valueproof init`: a small, working experiment for a new user to edit."""

from __future__ import annotations

import csv
import datetime as dt
from importlib import resources
from pathlib import Path

from valueproof.config.limits import NAME
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


DEFAULT_CUSTOMER = "Example Customer Ltd"
DEFAULT_VENDOR = "Your Company"


def _yaml_text(text: str) -> str:
    """A name as a YAML scalar: double-quoted (a JSON string is one), so that no name is read
    as anything but text ('&Co', 'No', 'Acme: EU')."""
    import json

    return json.dumps(text, ensure_ascii=False)


def _named(name: str, text: str, customer: str, vendor: str) -> str:
    """A scaffold file with the customer's and vendor's names in it: the definition's parties,
    the footer that names the customer, and the customer's placeholder logo (its initial and
    name)."""
    from xml.sax.saxutils import escape

    if name == "experiment.yaml":
        return (text.replace(f"  name: {DEFAULT_CUSTOMER}\n", f"  name: {_yaml_text(customer)}\n")
                .replace(f"  name: {DEFAULT_VENDOR}\n", f"  name: {_yaml_text(vendor)}\n"))
    if name == "brand/brand.yaml":
        return text.replace(f"footer: Confidential — prepared for {DEFAULT_CUSTOMER}\n",
                            "footer: " + _yaml_text(f"Confidential — prepared for {customer}") + "\n")
    # logo.svg: wide enough for the name at 22 px (about 13 px a letter)
    width = max(240, 70 + 13 * len(customer))
    return (text.replace('width="240"', f'width="{width}"', 1)
            .replace('viewBox="0 0 240 64"', f'viewBox="0 0 {width} 64"', 1)
            .replace(">E</text>", f">{escape(customer[:1].upper())}</text>", 1)
            .replace(">Example Ltd</text>", f">{escape(customer)}</text>", 1))


def scaffold(directory: Path, force: bool = False, customer: str = DEFAULT_CUSTOMER,
             vendor: str = DEFAULT_VENDOR) -> list[Path]:
    """Write experiment.yaml, brand/ and data/ into `directory`; never overwrite without force.
    The definition, the brand file's footer and the logo carry `customer` and `vendor`."""
    for option, value in (("--customer", customer), ("--vendor", vendor)):
        if not value.strip() or len(value) > NAME or not value.isprintable():
            raise ValueproofError(f"{option}: give a name of 1 to {NAME} printable characters, "
                                  f"e.g. {option} 'Acme Corp'")
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
        name = target.relative_to(directory).as_posix()
        text = (source / name).read_text(encoding="utf-8")
        target.write_text(_named(name, text, customer.strip(), vendor.strip()), encoding="utf-8")
    with targets[3].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["agent_id", "team", "week", "tickets", "resolved_first", "handle_minutes"])
        writer.writerows(_observations())
    return targets
