"""Simulated panels for the pre-trend check's calibration (tests and benchmarks/calibration.py):
a rate KPI whose denominators differ tenfold across units, and a differential linear trend."""

from __future__ import annotations

import numpy as np

from valueproof.config.kpis import KPI
from valueproof.data import Panel

RATE_KPI = KPI(id="y", numerator="y", better="higher", aggregate="rate")


def rate_panel(rng: np.random.Generator, n_treated: int = 20, n_control: int = 20,
               n_periods: int = 12, n_pre: int = 6, rho: float = 0.5, smallest: float = 20.0,
               spread: float = 10.0, trend: float = 0.0, scale: float = 0.03,
               small_treated: bool = False) -> Panel:
    """A rate (successes / trials) per unit and period: each unit's expected trials lie
    between `smallest` and `spread` times that (log-evenly, shuffled across units; Poisson
    around it each period); the success probability is 0.3 + scale x (unit effect + period
    effect + AR(1) error + trend x (period - last pre period) for treated units), and the
    successes binomial. Cells weigh by their trials (a pooled rate). With `small_treated` the
    treated units get the smallest sizes (not exchangeable with the others)."""
    G = n_treated + n_control
    unit = np.repeat(np.arange(G), n_periods)
    period = np.tile(np.arange(n_periods), G)
    treated = unit < n_treated
    sizes = np.geomspace(smallest, smallest * spread, G)
    sizes = sizes if small_treated else rng.permutation(sizes)
    errors = np.empty((G, n_periods))
    errors[:, 0] = rng.normal(0, 1 / np.sqrt(1 - rho**2), G)
    for t in range(1, n_periods):
        errors[:, t] = rho * errors[:, t - 1] + rng.normal(0, 1, G)
    latent = (rng.normal(0, 1, G)[unit] + rng.normal(0, 1, n_periods)[period] + errors.ravel()
              + trend * (period - (n_pre - 1)) * treated)
    probability = np.clip(0.3 + scale * latent, 0.01, 0.99)
    trials = rng.poisson(sizes[unit]) + 1
    successes = rng.binomial(trials, probability)
    return Panel(unit=unit, unit_names=[f"u{i}" for i in range(G)], treated=treated,
                 post=period >= n_pre, period=period.astype(np.int64),
                 values={"y": successes / trials}, counts={"y": trials.astype(np.int64)},
                 weights={"y": trials.astype(float)})


def with_trend(panel: Panel, slope: float, n_pre: int) -> Panel:
    """The panel with a differential linear trend: treated units' values + slope x (period -
    last pre period), before and after the rollout."""
    shift = slope * (panel.period - (n_pre - 1)) * panel.treated
    return Panel(panel.unit, panel.unit_names, panel.treated, panel.post, panel.period,
                 {"y": panel.values["y"] + shift}, panel.counts, panel.weights, panel.cohort)
