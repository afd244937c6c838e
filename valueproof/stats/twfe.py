"""Weighted two-way fixed-effects regressions on the unit x period table, without a design matrix.

The model is `y ~ D_1 + ... + D_J | fe + period` with cell weights, where every D_j is
`treated x (period in set j)`: one column `treated x post` for the difference-in-differences, or
one per period for the event study. `fe` is the unit for panels (unit fixed effects) or the group
for repeated cross-sections; either way it is constant within a unit, and so is treatment.

The fixed effects are absorbed exactly (Frisch-Waugh): the period dummies are kept as explicit
columns (T is small) and everything is demeaned within `fe`. Every regressor is an indicator of
the period, or of the period times the unit's treatment, so all cross products reduce to sums
over the dense units x periods matrices of weights and weighted values; the work is a few passes
over that matrix and the K x K algebra is tiny.

Standard errors follow pyfixest's `feols(..., weights=w)` exactly (checked in the tests):
`cluster`/`cr1` = CRV1 by unit, small-sample factor G/(G-1) * (N-1)/(N-K) where K counts the
slopes, every period level and the fe levels not nested in the clusters, t with G-1 df; `hc1`
and `iid` with N - (slopes, period dummies and fe levels) residual degrees of freedom.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Cells:
    """One KPI's estimation cells as dense units x periods matrices.

    W: (G, T) weight of each unit-period cell, 0 where there is no cell; WY: (G, T) weight x
    value (0 where there is no cell); fe: (G,) the fe level of each unit; fe_treated: (F,)
    treatment of each fe level. Every unit has at least one cell.
    """

    W: np.ndarray
    WY: np.ndarray
    fe: np.ndarray
    fe_treated: np.ndarray
    fe_is_cluster: bool  # panels: the fe level is the unit, which is the cluster


@dataclass(frozen=True)
class TwfeFit:
    coef: np.ndarray  # (J,) the treated x period-set coefficients
    cov: np.ndarray  # (J, J); nan when the design leaves no degrees of freedom
    df: int  # degrees of freedom of t and F tests (G - 1 for cluster)
    n_cells: int
    n_clusters: int
    # Each unit's influence on each coefficient (G, J), scaled so that cov = psi' psi (cluster
    # SEs only): combined with another estimate's influences for delta-method intervals.
    influence: np.ndarray | None


def fit(cells: Cells, sets: np.ndarray, se: str, period_effects: bool = True) -> TwfeFit | None:
    """Weighted OLS of `y ~ D | fe + period`; `sets` is (T, J): D_j = treated * sets[period, j].
    Without `period_effects` (a before/after study with no control group): `y ~ D | fe`.

    Returns None when the design leaves no information for a coefficient (a period set with no
    treated or no comparison variation), so callers can say "not estimable" instead of failing.
    """
    W, WY, fe, tr_fe = cells.W, cells.WY, cells.fe, cells.fe_treated.astype(float)
    G, T = W.shape
    F = len(tr_fe)
    sets = np.asarray(sets, dtype=float)
    J = sets.shape[1]
    P = T - 1 if period_effects else 0  # period dummies (the first period is the reference)
    tr = tr_fe[fe]

    if cells.fe_is_cluster:
        A, AY = W, WY.sum(axis=1)
    else:
        member = np.zeros((F, G))
        member[fe, np.arange(G)] = 1.0
        A, AY = member @ W, member @ WY.sum(axis=1)
    S = A.sum(axis=1)
    M = A / S[:, None]  # fe-level means of the period dummies
    ybar = AY / S
    m = np.hstack([tr_fe[:, None] * _per_set(M, sets), M[:, 1:P + 1]])  # (F, K) fe means

    w_tr_per, w_per = tr @ W, W.sum(axis=0)
    K = J + P
    xwx = np.zeros((K, K))
    xwx[:J, :J] = sets.T @ (w_tr_per[:, None] * sets)
    xwx[:J, J:] = (sets * w_tr_per[:, None])[1:P + 1].T
    xwx[J:, :J] = xwx[:J, J:].T
    xwx[J:, J:] = np.diag(w_per[1:P + 1])
    xwx -= (m * S[:, None]).T @ m
    xwy = np.concatenate([sets.T @ (tr @ WY), WY.sum(axis=0)[1:P + 1]]) - m.T @ (S * ybar)

    scale = np.sqrt(np.maximum(np.diag(xwx), 0.0))
    if np.any(scale[:J] <= 1e-12 * max(1.0, scale.max(initial=0.0))):
        return None
    scale[scale == 0] = 1.0
    inverse = _inverse(xwx / np.outer(scale, scale))
    if inverse is None:
        return None
    inverse /= np.outer(scale, scale)
    beta = inverse @ xwy

    gamma = sets @ beta[:J]  # effect of being treated in each period
    lam = np.zeros(T)  # period effects
    lam[1:P + 1] = beta[J:]
    fe_mean = (tr_fe * (M @ gamma) + M @ lam - ybar)[fe]
    # weighted residuals w * (y - fitted), zero where there is no cell
    fitted = np.outer(tr, gamma)
    fitted += lam
    fitted -= fe_mean[:, None]
    fitted *= W
    WR = WY - fitted

    n = int(np.count_nonzero(W))
    if se in ("cr1", "cluster"):
        scores = np.hstack([tr[:, None] * _per_set(WR, sets), WR[:, 1:P + 1]])
        if not cells.fe_is_cluster:  # the demeaning term; zero when each unit is its own fe
            scores -= WR.sum(axis=1)[:, None] * m[fe]
        # pyfixest's count ("nonnested"): the slopes, every period level, and the fe levels
        # unless nested in the clusters (one of them is redundant with the periods)
        k_counted = J + (T if period_effects else 0) + (0 if cells.fe_is_cluster else F - 1)
        if G < 2 or n <= k_counted:
            return TwfeFit(beta[:J], np.full((J, J), np.nan), 0, n, G, None)
        psi = scores @ (inverse[:J].T * np.sqrt(G / (G - 1) * (n - 1) / (n - k_counted)))
        return TwfeFit(beta[:J], psi.T @ psi, G - 1, n, G, psi)
    residual_df = n - K - F  # slopes, period dummies and every fe level
    if residual_df <= 0:
        return TwfeFit(beta[:J], np.full((J, J), np.nan), 0, n, G, None)
    if se == "iid":
        with np.errstate(invalid="ignore", divide="ignore"):
            squares = np.where(W > 0, WR * WR / W, 0.0)  # w * e^2
        cov = inverse * float(squares.sum()) / residual_df
    elif se == "hc1":
        rows, periods = np.nonzero(W)
        dummies = np.eye(T)[periods]
        x = np.hstack([tr[rows, None] * (dummies @ sets), dummies[:, 1:P + 1]]) - m[fe[rows]]
        scores = x * WR[rows, periods][:, None]
        cov = inverse @ (scores.T @ scores) @ inverse * n / residual_df
    else:
        raise ValueError(f"unknown se '{se}'")
    return TwfeFit(beta[:J], cov[:J, :J], int(residual_df), n, G, None)


def _per_set(X: np.ndarray, sets: np.ndarray) -> np.ndarray:
    """X @ sets (sum of X's period columns in each set), as a column selection when every set
    is a single period (the event study) - several times faster than the product."""
    if np.all(sets.sum(axis=0) == 1) and np.all((sets == 0) | (sets == 1)):
        return X[:, np.argmax(sets, axis=0)]
    return X @ sets


def _inverse(matrix: np.ndarray) -> np.ndarray | None:
    """Inverse of a well-conditioned (scaled) cross-product matrix; None when it is singular."""
    if matrix.size == 0 or np.linalg.cond(matrix) > 1e12:
        return None
    return np.linalg.inv(matrix)
