"""Simulated count panels for `model: poisson` (tests/stats/test_poisson.py and the `poisson` section
of benchmarks/calibration.py)."""

from __future__ import annotations

import numpy as np

from valueproof.config.kpis import KPI
from valueproof.data import Panel

COUNT_KPI = KPI(id="y", column="y", better="higher", aggregate="sum", model="poisson")


def count_panel(rng: np.random.Generator, n_treated: int = 20, n_control: int = 20,
                n_periods: int = 12, n_pre: int = 6, rate: float = 0.4, ratio: float = 1.0,
                rho: float = 0.5, sigma: float = 0.5, pre_trend: float = 0.0) -> Panel:
    """Counts per unit-period: Poisson with mean rate x unit level (gamma, mean 1, shape 2) x
    period level (log-normal, sd 0.2) x a within-unit AR(1) log-normal frailty (correlation
    `rho`, sd `sigma`, mean 1: overdispersed and serially correlated counts) x `ratio` for
    treated units after the rollout, x exp(pre_trend x (t - n_pre)) for treated units before it
    (a real difference in log-trends). Parallel trends hold on the ratio scale; the true rate
    ratio is `ratio`."""
    n_units = n_treated + n_control
    treated = np.arange(n_units) < n_treated
    level = rng.gamma(2.0, 0.5, n_units)
    season = np.exp(rng.normal(0.0, 0.2, n_periods))
    frailty = np.empty((n_units, n_periods))
    frailty[:, 0] = rng.normal(0.0, sigma, n_units)
    for t in range(1, n_periods):
        frailty[:, t] = rho * frailty[:, t - 1] + rng.normal(0.0, sigma * np.sqrt(1 - rho**2),
                                                              n_units)
    after = np.arange(n_periods) >= n_pre
    drift = np.where(after, 0.0, pre_trend * (np.arange(n_periods) - n_pre))
    mu = (rate * level[:, None] * season[None, :] * np.exp(frailty - sigma**2 / 2)
          * np.where(treated[:, None], np.where(after, ratio, np.exp(drift))[None, :], 1.0))
    y = rng.poisson(mu).astype(float)
    unit = np.repeat(np.arange(n_units), n_periods)
    period = np.tile(np.arange(n_periods), n_units)
    return Panel(unit=unit, unit_names=[f"u{i}" for i in range(n_units)], treated=treated[unit],
                 post=after[period], period=period.astype(np.int64), values={"y": y.ravel()},
                 counts={"y": np.ones(len(unit), dtype=np.int64)})
