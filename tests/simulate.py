"""Simulated panels for calibration checks (tests and benchmarks/calibration.py)."""

from __future__ import annotations

import numpy as np

from valueproof.config.schema import KPI
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
