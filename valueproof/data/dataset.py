"""What the data stage hands on: the `Dataset` (the windows, the cells' summary, the findings
and the panel) with its `Window`s and `CellSummary`s."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from valueproof.data.findings import Finding
from valueproof.data.panel import Panel


@dataclass(frozen=True)
class Window:
    start: dt.date | int
    end: dt.date | int


@dataclass(frozen=True)
class CellSummary:
    """Units and observations of one group in one window."""

    arm: str  # treatment | control
    window: str  # pre | post
    units: int
    observations: int
    first: dt.date | int | None
    last: dt.date | int | None


@dataclass(frozen=True)
class Dataset:
    source: str
    fingerprint: str
    time_kind: str  # date | period
    rollout: dt.date | int
    pre: Window
    post: Window
    design: str  # panel | cross_section
    rows_read: int
    rows_used: int
    cells: list[CellSummary]
    missing: dict[str, tuple[int, int]]  # kpi -> (missing, rows)
    unit_counts: dict[str, int]  # arm -> distinct units over both windows
    findings: list[Finding] = field(default_factory=list)
    panel: Panel | None = None
    waves: list = field(default_factory=list)  # rollout in waves: `waves.Wave`s in order
    grid: object | None = None  # `grid.GridSummary`: which cells counts and sums are read on
