"""CR2 with Bell-McCaffrey degrees of freedom against the full dummy-variable formulas."""

from __future__ import annotations

import numpy as np
import pytest

from tests.simulate import SIM_KPI, ar1_panel
from valueproof.data import Panel
from valueproof.stats import cr2, did


def _reference(panel: Panel, weights: np.ndarray) -> tuple[float, float, float]:
    """Effect, CR2 standard error and Satterthwaite df from the definitions, with every unit
    and period dummy in the design (the working model Phi = W^-1, as clubSandwich's default
    for weighted least squares)."""
    units = np.unique(panel.unit)
    periods = np.unique(panel.period)
    X = np.column_stack([(panel.unit[:, None] == units[None, :]).astype(float),
                         (panel.period[:, None] == periods[None, 1:]).astype(float),
                         (panel.treated & panel.post).astype(float)])
    root = np.sqrt(weights)
    Xw, yw = X * root[:, None], panel.values["y"] * root
    M = np.linalg.pinv(Xw.T @ Xw)
    beta = M @ Xw.T @ yw
    e = yw - Xw @ beta
    H = Xw @ M @ Xw.T
    I_H = np.eye(len(yw)) - H
    c = np.zeros(X.shape[1])
    c[-1] = 1.0
    meat = np.zeros((X.shape[1], X.shape[1]))
    p = []
    for u in units:
        rows = np.flatnonzero(panel.unit == u)
        values, vectors = np.linalg.eigh(I_H[np.ix_(rows, rows)])
        inv_root = np.where(values > 1e-10, 1 / np.sqrt(np.maximum(values, 1e-300)), 0.0)
        A = vectors @ np.diag(inv_root) @ vectors.T
        score = Xw[rows].T @ A @ e[rows]
        meat += np.outer(score, score)
        q = np.zeros(len(yw))
        q[rows] = A @ Xw[rows] @ M @ c
        p.append(I_H @ q)
    V = M @ meat @ M
    p = np.array(p)
    P = p @ p.T
    return float(beta[-1]), float(np.sqrt(V[-1, -1])), float(np.trace(P) ** 2 / (P**2).sum())


@pytest.mark.parametrize("n_units, treated_share", [(12, 0.34), (8, 0.25), (30, 0.1)])
def test_cr2_and_degrees_of_freedom_match_the_dummy_variable_formulas(n_units, treated_share):
    rng = np.random.default_rng(n_units)
    full = ar1_panel(rng, n_units=n_units, n_periods=6, n_pre=3, effect=0.4,
                     treated_share=treated_share)
    keep = rng.random(len(full.unit)) > 0.2
    counts = rng.integers(1, 30, keep.sum())
    panel = Panel(full.unit[keep], full.unit_names, full.treated[keep], full.post[keep],
                  full.period[keep], {"y": full.values["y"][keep]}, {"y": counts})
    estimate = did.main_estimate(did.KPIData(panel, SIM_KPI, True), "cluster")
    effect, se, df = _reference(panel, counts.astype(float))
    assert estimate.effect == pytest.approx(effect, abs=1e-9)
    assert estimate.se == pytest.approx(se, rel=1e-8)
    assert estimate.df == pytest.approx(df, rel=1e-8)
    assert estimate.df < n_units - 1  # few treated units: far fewer df than clusters


def test_series_and_exact_adjustments_agree_on_a_large_panel(monkeypatch):
    rng = np.random.default_rng(4)
    panel = ar1_panel(rng, n_units=3000, n_periods=8, n_pre=4, effect=0.1, treated_share=0.02)
    panel.counts["y"][:] = rng.integers(1, 20, len(panel.unit))
    series = did.main_estimate(did.KPIData(panel, SIM_KPI, True), "cluster")
    monkeypatch.setattr(cr2, "LEVERAGE_EXACT", -1.0)  # every unit decomposed exactly
    exact = did.main_estimate(did.KPIData(panel, SIM_KPI, True), "cluster")
    assert series.se == pytest.approx(exact.se, rel=1e-9)
    assert series.df == pytest.approx(exact.df, rel=1e-9)
