"""Data stage: sources, quality checks, unit x period panel."""

from valueproof.data.load import Dataset, Finding, Panel, load_dataset

__all__ = ["Dataset", "Finding", "Panel", "load_dataset"]
