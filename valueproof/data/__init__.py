"""Data stage: sources, quality checks, unit x period panel."""

from valueproof.data.load import Dataset, Finding, load_dataset
from valueproof.data.panel import Panel

__all__ = ["Dataset", "Finding", "Panel", "load_dataset"]
