"""Simulated panels for calibration checks (tests and benchmarks/calibration.py)."""

from __future__ import annotations

import numpy as np

from valueproof.config.kpis import KPI
from valueproof.data import Panel


def ar1_panel(rng: np.random.Generator, n_units: int = 40, n_periods: int = 12,
              n_pre: int = 6, rho: float = 0.8, effect: float = 0.0,
              treated_share: float = 0.5) -> Panel:
    """Unit x period panel: unit and period effects, AR(1) errors within unit, common rollout."""
    n_treated = max(1, int(round(n_units * treated_share)))
    unit = np.repeat(np.arange(n_units), n_periods)
    period = np.tile(np.arange(n_periods), n_units)
    treated = unit < n_treated
    post = period >= n_pre
    errors = np.empty((n_units, n_periods))
    errors[:, 0] = rng.normal(0, 1 / np.sqrt(1 - rho**2), n_units)
    for t in range(1, n_periods):
        errors[:, t] = rho * errors[:, t - 1] + rng.normal(0, 1, n_units)
    y = (rng.normal(0, 1, n_units)[unit] + rng.normal(0, 1, n_periods)[period]
         + errors.ravel() + effect * (treated & post))
    return Panel(unit=unit, unit_names=[f"u{i}" for i in range(n_units)], treated=treated,
                 post=post, period=period.astype(np.int64), values={"y": y},
                 counts={"y": np.ones(len(y), dtype=np.int64)})


SIM_KPI = KPI(id="y", column="y", better="higher")


def staggered_panel(rng: np.random.Generator, waves: tuple[int, ...] = (5, 5, 5),
                    never: int = 15, n_periods: int = 12, first_wave: int = 4, spacing: int = 2,
                    rho: float = 0.8, effect: float = 0.0) -> Panel:
    """Unit x period panel with a rollout in waves: wave w (of `waves[w]` units) gets the
    product in period first_wave + w * spacing; `never` units never do. Unit and period
    effects, AR(1) errors within unit, a constant `effect` after each unit's rollout."""
    from valueproof.data.panel import NEVER

    starts = np.concatenate([np.full(n, first_wave + w * spacing) for w, n in enumerate(waves)]
                            + [np.full(never, -1)]).astype(np.int64)
    n_units = len(starts)
    unit = np.repeat(np.arange(n_units), n_periods)
    period = np.tile(np.arange(n_periods), n_units)
    treated = starts[unit] >= 0
    post = treated & (period >= starts[unit])
    errors = np.empty((n_units, n_periods))
    errors[:, 0] = rng.normal(0, 1 / np.sqrt(1 - rho**2), n_units)
    for t in range(1, n_periods):
        errors[:, t] = rho * errors[:, t - 1] + rng.normal(0, 1, n_units)
    y = (rng.normal(0, 1, n_units)[unit] + rng.normal(0, 1, n_periods)[period]
         + errors.ravel() + effect * post)
    return Panel(unit=unit, unit_names=[f"u{i}" for i in range(n_units)], treated=treated,
                 post=post, period=period.astype(np.int64), values={"y": y},
                 counts={"y": np.ones(len(y), dtype=np.int64)},
                 cohort=np.where(starts >= 0, starts, NEVER))
