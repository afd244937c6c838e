"""Experiment definition: schema and YAML loading."""

from valueproof.config.kpis import KPI, Criterion
from valueproof.config.loader import load_experiment
from valueproof.config.schema import Experiment

__all__ = ["KPI", "Criterion", "Experiment", "load_experiment"]
