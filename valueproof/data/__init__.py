"""Data stage: sources, quality checks, unit x period panel.

`load.load_dataset` runs the stage: `sources` picks the backend (`backends/`) that registers
the rows as DuckDB's `raw`; `cells` aggregates them to the one table of cells (`pushdown` when
the database does it); `checks` and `quality` find what weakens them, `windows` draws the pre
and post windows (`waves` a rollout in waves), `grid` and `roster` the cells counts and sums
are read on, and `panel` the unit x period panel. `dataset` holds what the stage hands on,
`findings` its observations, `thresholds` how few units are too few; `sqltext` and `session`
are the SQL text helpers and the DuckDB session every module shares.
"""

from valueproof.data.dataset import Dataset
from valueproof.data.findings import Finding
from valueproof.data.load import load_dataset
from valueproof.data.panel import Panel

__all__ = ["Dataset", "Finding", "Panel", "load_dataset"]
