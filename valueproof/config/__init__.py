"""Experiment definition: schema and YAML loading."""

from valueproof.config.loader import load_experiment
from valueproof.config.schema import KPI, Criterion, Experiment

__all__ = ["KPI", "Criterion", "Experiment", "load_experiment"]
