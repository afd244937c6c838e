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

Standard errors: `cluster` on a panel with one slope is CR2 with Bell-McCaffrey df
(`stats.cr2`); otherwise the others follow pyfixest's `feols(..., weights=w)` exactly (checked
in the tests): `cr1` (and `cluster` for a cross-section or several slopes) = CRV1 by unit, small-sample factor G/(G-1) * (N-1)/(N-K) where K counts the
slopes, every period level and the fe levels not nested in the clusters, t with G-1 df; `hc1`
and `iid` with N - (slopes, period dummies and fe levels) residual degrees of freedom.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

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

    @cached_property
    def sums(self) -> _Sums:
        """What every fit of these cells shares, computed once (the headline and the event
        study fit the same cells)."""
        W, WY, fe = self.W, self.WY, self.fe
        G, T = W.shape
        tr_fe = self.fe_treated.astype(float)
        F = len(tr_fe)
        # Row and column sums as matrix-vector products: numpy's reductions along the short
        # axis of a tall (G, T) matrix are several times slower.
        row_sums = WY @ np.ones(T)
        if self.fe_is_cluster:
            A, AY = W, row_sums
        else:
            member = np.zeros((F, G))
            member[fe, np.arange(G)] = 1.0
            A, AY = member @ W, member @ row_sums
        S = A @ np.ones(T)
        M = A / S[:, None]  # fe-level means of the period dummies
        # The demeaning terms sum_f S_f m_f m_f' (m_f: the fe level's regressor means) reduce
        # to T x T products of the fe x period weights, since S_f m_f = (the fe's weights).
        M_tr = M * tr_fe[:, None]
        return _Sums(
            tr=tr_fe[fe], tr_fe=tr_fe, M=M, ybar=AY / S, Q=A.T @ M, Q_tr=A.T @ M_tr,
            w_tr_per=tr_fe @ A, w_per=np.ones(F) @ A, wy_tr_per=tr_fe[fe] @ WY - M_tr.T @ AY,
            wy_per=np.ones(G) @ WY - M.T @ AY, n=int(np.count_nonzero(W)))


@dataclass(frozen=True)
class _Sums:
    tr: np.ndarray  # (G,) each unit's treatment
    tr_fe: np.ndarray  # (F,)
    M: np.ndarray  # (F, T) fe-level means of the period dummies
    ybar: np.ndarray  # (F,) fe-level weighted means of y
    Q: np.ndarray  # (T, T) sum_f S_f M_f M_f'
    Q_tr: np.ndarray  # (T, T) the same over treated fe levels
    w_tr_per: np.ndarray  # (T,) weight of treated cells per period
    w_per: np.ndarray  # (T,) weight per period
    wy_tr_per: np.ndarray  # (T,) demeaned sum of w y of treated cells per period
    wy_per: np.ndarray  # (T,) demeaned sum of w y per period
    n: int  # cells


@dataclass(frozen=True)
class TwfeFit:
    coef: np.ndarray  # (J,) the treated x period-set coefficients
    cov: np.ndarray  # (J, J); nan when the design leaves no degrees of freedom
    df: float  # of t and F tests: Bell-McCaffrey for CR2, G - 1 for CR1, N - K for iid/hc1
    n_cells: int
    n_clusters: int
    # Each unit's influence on each coefficient (G, J), scaled so that cov = psi' psi (cluster
    # SEs only): combined with another estimate's influences for delta-method intervals.
    influence: np.ndarray | None
    # What CR2 and the joint HTZ test (`stats.htz`) need beside the cluster-robust fits: the
    # weighted residuals w * e (G, T) and the bread (X~'X~)^-1 of the slopes and period dummies
    residuals: np.ndarray | None = None
    bread: np.ndarray | None = None


def fit(cells: Cells, sets: np.ndarray, se: str, period_effects: bool = True) -> TwfeFit | None:
    """Weighted OLS of `y ~ D | fe + period`; `sets` is (T, J): D_j = treated * sets[period, j].
    Without `period_effects` (a before/after study with no control group): `y ~ D | fe`.

    Returns None when the design leaves no information for a coefficient (a period set with no
    treated or no comparison variation), so callers can say "not estimable" instead of failing.
    """
    W, WY, fe = cells.W, cells.WY, cells.fe
    sums = cells.sums
    tr, tr_fe, M, ybar = sums.tr, sums.tr_fe, sums.M, sums.ybar
    G, T = W.shape
    F = len(tr_fe)
    sets = np.asarray(sets, dtype=float)
    J = sets.shape[1]
    P = T - 1 if period_effects else 0  # period dummies (the first period is the reference)
    K = J + P
    xwx = np.zeros((K, K))
    xwx[:J, :J] = sets.T @ (sums.w_tr_per[:, None] * sets) - sets.T @ sums.Q_tr @ sets
    xwx[:J, J:] = (sets * sums.w_tr_per[:, None])[1:P + 1].T - sets.T @ sums.Q_tr[:, 1:P + 1]
    xwx[J:, :J] = xwx[:J, J:].T
    xwx[J:, J:] = np.diag(sums.w_per[1:P + 1]) - sums.Q[1:P + 1, 1:P + 1]
    xwy = np.concatenate([sets.T @ sums.wy_tr_per, sums.wy_per[1:P + 1]])

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
    WR = np.subtract(WY, fitted, out=fitted)

    n = sums.n
    def fe_means() -> np.ndarray:  # (F, K) the fe levels' regressor means
        return np.hstack([tr_fe[:, None] * _per_set(M, sets), M[:, 1:P + 1]])

    if se == "cluster" and cells.fe_is_cluster and J == 1 and G > 1:
        from valueproof.stats.cr2 import UnitDesign, cr2

        cov, df, psi = cr2(UnitDesign(W, tr.astype(bool), sets, P, M, inverse), WR)
        return TwfeFit(beta[:J], cov, df, n, G, psi, WR, inverse)
    # CR1: se cr1; and cluster for a cross-section (group effects are not nested in the units)
    # and for several slopes at once (the event study's points; its joint test is `stats.htz`)
    if se in ("cr1", "cluster"):
        # pyfixest's count ("nonnested"): the slopes, every period level, and the fe levels
        # unless nested in the clusters (one of them is redundant with the periods)
        k_counted = J + (T if period_effects else 0) + (0 if cells.fe_is_cluster else F - 1)
        if G < 2 or n <= k_counted:
            return TwfeFit(beta[:J], np.full((J, J), np.nan), 0, n, G, None)
        # influence of each unit: its score (x_it w_it e_it summed over t) times the bread's
        # rows of the slopes, without building the (G, K) score matrix
        bread = inverse[:J] * np.sqrt(G / (G - 1) * (n - 1) / (n - k_counted))  # (J, K)
        on_periods = np.zeros((T, J))
        on_periods[1:P + 1] = bread[:, J:].T
        psi = tr[:, None] * (WR @ (sets @ bread[:, :J].T)) + WR @ on_periods
        if not cells.fe_is_cluster:  # the demeaning term; zero when each unit is its own fe
            psi -= (WR @ np.ones(T))[:, None] * (fe_means() @ bread.T)[fe]
        return TwfeFit(beta[:J], psi.T @ psi, G - 1, n, G, psi, WR, inverse)
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
        x = np.hstack([tr[rows, None] * (dummies @ sets), dummies[:, 1:P + 1]]) - fe_means()[fe[rows]]
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
