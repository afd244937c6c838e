"""Weighted two-way fixed-effects regressions on the unit x period table, without a design matrix.

The model is `y ~ D_1 + ... + D_J | fe + period` with cell weights, where every D_j is
`treated x (period in set j)`: one column `treated x post` for the difference-in-differences, or
one per period for the event study. `fe` is the unit for panels (unit fixed effects) or the group
for repeated cross-sections. Treatment is constant within an `fe` level in both designs.

The fixed effects are absorbed exactly (Frisch-Waugh): the period dummies are kept as explicit
columns (T is small) and everything is demeaned within `fe`. Because every regressor is an
indicator of the period, or of the period times the fe-level's treatment, all cross products
reduce to weighted sums per (fe, period) and per (cluster, period), computed with `bincount`;
the work is linear in the number of cells and the K x K algebra is tiny.

Standard errors follow pyfixest's `feols(..., weights=w)` exactly (checked in the tests):
`cr1` = CRV1 clustered by unit, small-sample factor G/(G-1) * (N-1)/(N-K) where K counts the
slopes and the fixed effects that are not nested in the clusters, t with G-1 df; `hc1` and `iid`
with N - K - (fixed effects) residual degrees of freedom.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Cells:
    """One KPI's usable cells. Codes are dense: fe in 0..F-1, period in 0..T-1, cluster in 0..C-1."""

    y: np.ndarray
    w: np.ndarray  # weight of each cell (> 0)
    fe: np.ndarray
    period: np.ndarray
    cluster: np.ndarray
    fe_treated: np.ndarray  # (F,) bool: the fe level's treatment status
    n_fe: int
    n_periods: int
    n_clusters: int
    fe_is_cluster: bool  # panels: the fe level is the unit, which is the cluster


@dataclass(frozen=True)
class TwfeFit:
    coef: np.ndarray  # (J,) the treated x period-set coefficients
    cov: np.ndarray  # (J, J)
    df: int  # degrees of freedom of t and F tests (G - 1 for cluster)
    n_cells: int
    n_clusters: int
    # Influence of each cluster on each coefficient (C, J), scaled so that cov = psi' psi for
    # cluster SEs: combined with other estimates' influences for delta-method intervals.
    influence: np.ndarray | None


def fit(cells: Cells, sets: np.ndarray, se: str) -> TwfeFit | None:
    """Weighted OLS of `y ~ D | fe + period`; `sets` is (T, J): D_j = treated * sets[period, j].

    Returns None when the design leaves no information for a coefficient (a period set with no
    treated or no comparison variation), so callers can say "not estimable" instead of failing.
    """
    y, w, fe, per, cl = cells.y, cells.w, cells.fe, cells.period, cells.cluster
    F, T, C = cells.n_fe, cells.n_periods, cells.n_clusters
    tr_fe = cells.fe_treated.astype(float)
    tr = tr_fe[fe]
    sets = np.asarray(sets, dtype=float)
    J = sets.shape[1]

    S = np.bincount(fe, w, F)
    A = np.bincount(fe * T + per, w, F * T).reshape(F, T)  # weight per fe x period
    with np.errstate(invalid="ignore", divide="ignore"):
        M = A / S[:, None]  # fe-level means of the period dummies
        ybar = np.bincount(fe, w * y, F) / S
    H = M @ sets  # (F, J): fe-level means of D_j, before multiplying by treatment
    m = np.hstack([tr_fe[:, None] * H, M[:, 1:]])  # (F, K) fe-level means of the regressors

    w_tr_per = np.bincount(per, w * tr, T)
    w_per = np.bincount(per, w, T)
    K = J + T - 1
    xwx = np.zeros((K, K))
    xwx[:J, :J] = sets.T @ (w_tr_per[:, None] * sets)
    xwx[:J, J:] = (sets * w_tr_per[:, None])[1:].T
    xwx[J:, :J] = xwx[:J, J:].T
    xwx[J:, J:] = np.diag(w_per[1:])
    xwx -= (m * S[:, None]).T @ m
    wy_tr_per = np.bincount(per, w * y * tr, T)
    wy_per = np.bincount(per, w * y, T)
    xwy = np.concatenate([sets.T @ wy_tr_per, wy_per[1:]]) - (m * S[:, None]).T @ ybar

    scale = np.sqrt(np.maximum(np.diag(xwx), 0.0))
    if np.any(scale[:J] <= 1e-12 * max(1.0, scale.max(initial=0.0))):
        return None
    scale[scale == 0] = 1.0
    inverse = _inverse(xwx / np.outer(scale, scale)) / np.outer(scale, scale)
    if inverse is None or not np.all(np.isfinite(inverse)):
        return None
    beta = inverse @ xwy

    gamma = sets @ beta[:J]  # effect of being treated in each period
    lam = np.concatenate([[0.0], beta[J:]])  # period effects
    fitted_dm = (tr * gamma[per] + lam[per]) - (tr_fe * (M @ gamma) + M @ lam)[fe]
    resid = (y - ybar[fe]) - fitted_dm

    n = len(y)
    # pyfixest's count ("nonnested"): the slopes, every period level, and the fe levels unless
    # they are nested in the clusters (unit fixed effects clustered by unit)
    n_fe_counted = 0 if cells.fe_is_cluster else F - 1  # (one level is redundant with periods)
    if se in ("cr1", "cluster"):
        we = w * resid
        E = np.bincount(cl * T + per, we, C * T).reshape(C, T)
        tr_cl = np.zeros(C)
        tr_cl[cl] = tr  # treatment is constant within a unit (the cluster)
        scores = np.hstack([tr_cl[:, None] * (E @ sets), E[:, 1:]])
        if not cells.fe_is_cluster:  # demeaning term: zero when fe levels sit inside clusters
            R = np.bincount(cl * F + fe, we, C * F).reshape(C, F)
            scores -= R @ m
        k_counted = J + T + n_fe_counted
        adjust = C / (C - 1) * (n - 1) / (n - k_counted) if C > 1 and n > k_counted else np.nan
        psi = scores @ inverse.T * np.sqrt(adjust)
        cov = psi.T @ psi
        return TwfeFit(beta[:J], cov[:J, :J], C - 1, n, C, psi[:, :J])
    residual_df = n - K - F  # slopes, period dummies and every fe level
    if residual_df <= 0:
        return TwfeFit(beta[:J], np.full((J, J), np.nan), 0, n, C, None)
    if se == "iid":
        sigma2 = float(w @ resid**2) / residual_df
        cov = inverse * sigma2
    elif se == "hc1":
        # cell scores x_i w_i e_i with the demeaned regressors
        xd = _demeaned_columns(cells, sets, m, tr)
        meat = (xd * (w * resid)[:, None] ** 2).T @ xd
        cov = inverse @ meat @ inverse * n / residual_df
    else:
        raise ValueError(f"unknown se '{se}'")
    return TwfeFit(beta[:J], cov[:J, :J], int(residual_df), n, C, None)


def _demeaned_columns(cells: Cells, sets: np.ndarray, m: np.ndarray, tr: np.ndarray) -> np.ndarray:
    """The (cells, K) demeaned regressors; only for HC1, which needs them cell by cell."""
    per, T = cells.period, cells.n_periods
    dummies = np.zeros((len(per), T))
    dummies[np.arange(len(per)), per] = 1.0
    raw = np.hstack([tr[:, None] * (dummies @ sets), dummies[:, 1:]])
    return raw - m[cells.fe]


def _inverse(matrix: np.ndarray) -> np.ndarray | None:
    try:
        if np.linalg.cond(matrix) > 1e12:
            return None
        return np.linalg.inv(matrix)
    except np.linalg.LinAlgError:
        return None
