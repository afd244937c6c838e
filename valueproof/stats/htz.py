"""Joint tests of several coefficients with CR2 standard errors: the approximate Hotelling T²
test "HTZ" of Pustejovsky & Tipton (2018, JBES), R clubSandwich's `Wald_test(..., test =
"HTZ")`, for the fixed-effects regressions of `stats.twfe` (the event study's pre-trend check).

Definitions (clubSandwich's `get_GH`, `get_P_array(all_terms = TRUE)`, `total_variance_mat` and
`Hotelling_Tsq`), in the weighted space where the regression is ordinary least squares (rows
scaled by sqrt(w); working model W^-1, as `stats.cr2`): X~ the full design, M = (X~'X~)^-1, H~
its hat matrix, A_k cluster k's CR2 adjustment. For the q restrictions C b = 0 (rows c_s):

    q_sk = A_k X~_k M c_s (in cluster k's rows),   p_sk = (I - H~) q_sk,
    P_st[k, l] = p_sk' p_tl = [k = l] q_sk'q_tk - r_sk' M r_tl,   r_sk = X~_k' q_sk,
    Omega = sum_k P[k, k] (q x q),   B = Omega^-1/2 P Omega^-1/2 (contrasts whitened),
    var_st = sum_kl B_st[k,l] B_ts[k,l] + sum_kl B_ss[k,l] B_tt[k,l],
    nu = q (q + 1) / sum_st var_st,
    F = (nu - q + 1) / (nu q) * b'C'(C V C')^-1 C b  on  (q, nu - q + 1) df,

V the CR2 covariance. With q = 1, nu is the Bell-McCaffrey (Satterthwaite) df of `stats.cr2`
and F = t² (tested). HTZ is invariant to re-writing the restrictions (C -> L C, L invertible).

Computation: the cross-cluster sums need only per-group T x T algebra. Every unit of a group
has the same raw regressor rows R_g (T x K) up to its weights, so r_sk = R_g' y_sk with y_sk =
sqrt(w_k) * q_sk (for panels the absorbed unit dummy adds nothing: q_sk is orthogonal to
sqrt(w_k)), and sum_kl (r_ak'M r_bl)(r_ck'M r_dl) = sum_gh tr(M_gh Y_h^bd M_hg Y_g^ca) with
M_gh = R_g M R_h' and Y_g^ab = sum_{k in g} y_ak y_bk'. The work is G (qT)^2 for the Gram
matrices of the y's, never a units x units matrix. The q_sk come from `stats.cr2`'s adjustment
(series or exact per unit), in batches of units (BUDGET numbers at a time); Omega is bilinear in
the restrictions, so one pass gives it for every L C b = 0, and a second pass the whitened sums
of several such tests at once (the event study's joint test and its slope).

The working model W^-1 applied in the weighted space is clubSandwich on the OLS of sqrt(w) y on
sqrt(w) X; with weights constant within each unit it is also clubSandwich's weighted `lm` with
`inverse_var = TRUE` (tested both ways). With weights varying within a unit clubSandwich's
weighted `lm` takes the symmetric root in other coordinates (D' B^-1/2 D, D the Cholesky factor
of W^-1), which differs slightly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

from valueproof.stats import twfe
from valueproof.stats.cr2 import LEVERAGE_EXACT, UnitDesign

EIGEN_TOLERANCE = 1e-10  # relative: eigenvalues below it are taken as zero (pseudo-inverses)
BUDGET = 8_000_000  # numbers in one batch of units' vectors (q x units x periods)


@dataclass(frozen=True)
class JointTest:
    statistic: float  # F = (nu - q + 1) / (nu q) * Wald
    df: tuple[float, float]  # (q, nu - q + 1)
    p_value: float  # nan when nu - q + 1 <= 0: the units cannot support q restrictions
    nu: float  # degrees of freedom of the approximating Wishart distribution
    wald: float  # b'C'(C V C')^-1 C b with the CR2 covariance V
    cov: np.ndarray  # C V C' (q x q)


@dataclass(frozen=True)
class Contrasts:
    """What the HTZ test of C b = 0 needs, for any restrictions L C b = 0 built from it.

    The vectors q_sk come in batches of units (`batches`), computed when needed, so that
    memory stays bounded whatever the number of units and restrictions; one batch (the usual
    case) is computed once and kept."""

    estimates: np.ndarray  # (q,) C b
    psi: np.ndarray  # (G, q) each unit's influence on C b: V = psi' psi
    omega: np.ndarray  # (q, q) sum_k P[k, k], bilinear in the restrictions
    vectors: Callable[[np.ndarray], np.ndarray]  # units -> (q, n, T) A_k X~_k M c_s
    batches: list[np.ndarray]  # the units of each batch
    sw: np.ndarray  # (G, T) sqrt(w)
    group: np.ndarray  # (G,) index into `rows`
    rows: list[np.ndarray]  # each group's raw regressor rows (T x K)
    bread: np.ndarray  # M (K x K)
    cross: list[list[np.ndarray]]  # M_gh = R_g M R_h' (T x T)


def cr2_contrasts(cells: twfe.Cells, sets: np.ndarray, fit: twfe.TwfeFit,
                  contrasts: np.ndarray) -> Contrasts | None:
    """The CR2 pieces (clustered by unit) of contrasts @ fit.coef (contrasts: q x J over the
    slopes `sets`); the fit must carry its residuals and bread (`twfe.fit` with cluster-robust
    SEs), else None."""
    if fit.residuals is None or fit.bread is None:
        return None
    W = cells.W
    G, T = W.shape
    tr = cells.sums.tr.astype(bool)
    contrasts = np.atleast_2d(np.asarray(contrasts, dtype=float))
    sw = np.sqrt(W)
    with np.errstate(invalid="ignore", divide="ignore"):
        residuals = np.where(sw > 0, fit.residuals / sw, 0.0)
    if cells.fe_is_cluster:
        bread = fit.bread
        rows = [np.zeros((T, bread.shape[0])) for _ in range(2)]  # control, treated units
        rows[1][:, :sets.shape[1]] = sets
        for R in rows:
            R[1:, sets.shape[1]:] = np.eye(T - 1)
        full = np.hstack([contrasts, np.zeros((len(contrasts), bread.shape[0] - sets.shape[1]))])

        def vectors(units: np.ndarray) -> np.ndarray:
            design = UnitDesign(W[units], tr[units], sets, T - 1, cells.sums.M[units], bread)
            exact = design.leverage() > LEVERAGE_EXACT
            z = [design.sw * design.x(np.broadcast_to(bread @ c, design.m.shape)) for c in full]
            return np.stack([design.adjust(v, exact) for v in z])
    else:
        rows, bread, vectors = _cross_section(cells, sets, contrasts)
    size = max(1, BUDGET // (len(contrasts) * T))
    batches = [np.arange(start, min(start + size, G)) for start in range(0, G, size)]
    if len(batches) == 1:
        kept = vectors(batches[0])
        vectors = lambda units: kept  # noqa: E731 (the one batch, computed once)
    cross = [[R_g @ bread @ R_h.T for R_h in rows] for R_g in rows]
    group = tr.astype(int)
    psi, omega = [], np.zeros((len(contrasts),) * 2)
    for units in batches:
        Q = vectors(units)
        psi.append(np.einsum("sgt,gt->gs", Q, residuals[units]))
        omega += _omega_part(Q, sw[units], group[units], cross)
    return Contrasts(contrasts @ fit.coef, np.vstack(psi), omega, vectors, batches, sw, group,
                     rows, bread, cross)


def htz(c: Contrasts, combination: np.ndarray | None = None) -> JointTest | None:
    """HTZ test of C b = 0, or of L C b = 0 with L = `combination` (r x q). None when the
    restrictions' CR2 covariance is singular."""
    return tests(c, [combination])[0]


def tests(c: Contrasts, combinations: list[np.ndarray | None]) -> list[JointTest | None]:
    """HTZ tests of several sets of restrictions L C b = 0 (None: L = I), in one pass over the
    units."""
    Ls = [np.eye(len(c.estimates)) if L is None else np.atleast_2d(L) for L in combinations]
    nus = degrees_of_freedom(c, Ls)
    out = []
    for L, nu in zip(Ls, nus):
        q = L.shape[0]
        psi, estimates = c.psi @ L.T, L @ c.estimates
        cov = psi.T @ psi
        values, vectors = np.linalg.eigh(cov)
        if not values.min() > EIGEN_TOLERANCE * max(values.max(), 1e-300):
            out.append(None)
            continue
        wald = float(estimates @ (vectors / values) @ vectors.T @ estimates)
        df2 = nu - q + 1
        statistic = max(df2 / nu, 0.0) * wald / q if nu > 0 else float("nan")
        p_value = float(stats.f.sf(statistic, q, df2)) if df2 > 0 else float("nan")
        out.append(JointTest(float(statistic), (float(q), float(df2)), p_value, float(nu), wald,
                             cov))
    return out


def _unit_terms(Q: np.ndarray, sw: np.ndarray, group: np.ndarray,
                cross: list) -> tuple[np.ndarray, np.ndarray]:
    """(n, q, q) for each unit: q_sk'q_tk, and r_sk'M r_tk = y_sk' M_gg y_tk (y = sqrt(w) q)."""
    if len(Q) == 1:  # one restriction: row by row, without n tiny matrix products
        Y = Q[0] * sw
        a = np.zeros(len(Y))
        for g in range(len(cross)):
            rows = np.flatnonzero(group == g)
            a[rows] = ((Y[rows] @ cross[g][g]) * Y[rows]).sum(axis=1)
        return (Q[0] * Q[0]).sum(axis=1)[:, None, None], a[:, None, None]
    by_unit = np.ascontiguousarray(Q.transpose(1, 0, 2))  # (n, q, T)
    d = by_unit @ by_unit.transpose(0, 2, 1)
    Y = by_unit * sw[:, None, :]
    a = np.empty_like(d)
    for g in range(len(cross)):
        rows = np.flatnonzero(group == g)
        a[rows] = (Y[rows] @ cross[g][g]) @ Y[rows].transpose(0, 2, 1)
    return d, a


def _omega_part(Q: np.ndarray, sw: np.ndarray, group: np.ndarray, cross: list) -> np.ndarray:
    """sum_k (q_sk'q_tk - y_sk' M_gg y_tk) over the batch's units, as matrix products."""
    q = len(Q)
    flat = Q.reshape(q, -1)
    omega = flat @ flat.T
    Y = Q * sw
    for g in range(len(cross)):
        rows = np.flatnonzero(group == g)
        Yg = Y[:, rows]
        omega -= (Yg @ cross[g][g]).reshape(q, -1) @ Yg.reshape(q, -1).T
    return omega


def degrees_of_freedom(c: Contrasts, Ls: list[np.ndarray]) -> list[float]:
    """HTZ's nu for each set of restrictions L C b = 0 (see the module's docstring); nan when
    L Omega L' is singular. One pass over the batches of units."""
    T = c.sw.shape[1]
    whitens, totals, grams = [], [], []
    for L in Ls:
        values, vectors = np.linalg.eigh(L @ c.omega @ L.T)
        ok = values.min() > EIGEN_TOLERANCE * max(values.max(), 1e-300)
        whitens.append((vectors / np.sqrt(values)) @ vectors.T @ L if ok else None)
        totals.append(0.0)
        grams.append([np.zeros((L.shape[0] * T,) * 2) for _ in c.rows])
    for units in c.batches:
        Q_all, group = c.vectors(units), c.group[units]
        for i, whiten in enumerate(whitens):
            if whiten is None:
                continue
            q = whiten.shape[0]
            Q = np.tensordot(whiten, Q_all, axes=1)
            d, a = _unit_terms(Q, c.sw[units], group, c.cross)
            D = d - a
            totals[i] += (np.sum(D * D) - np.sum(a * a)  # sum_k |D_k|^2 - |a_kk|^2
                          + np.sum(np.trace(D, axis1=1, axis2=2) ** 2)
                          - np.sum(np.trace(a, axis1=1, axis2=2) ** 2))
            Y = Q * c.sw[units]
            for g, gram in enumerate(grams[i]):  # Y_g^st[i, j] = sum_k y_sk[i] y_tk[j]
                rows = np.flatnonzero(group == g)
                flat = np.ascontiguousarray(Y[:, rows].transpose(1, 0, 2)).reshape(len(rows),
                                                                                  q * T)
                gram += flat.T @ flat
    nus = []
    for whiten, total, gram_list in zip(whitens, totals, grams):
        if whiten is None:
            nus.append(float("nan"))
            continue
        q = whiten.shape[0]
        gram_list = [gram.reshape(q, T, q, T) for gram in gram_list]
        for g, gram_g in enumerate(gram_list):
            for h, gram_h in enumerate(gram_list):
                M_gh = c.cross[g][h]
                N = np.einsum("ai,xiyj,dj->xayd", M_gh, gram_h, M_gh, optimize=True)
                total += np.einsum("tisj,tjsi->", N, gram_g)  # sum_st tr(N^ts Y_g^ts)
                total += np.einsum("sitj,tjsi->", N, gram_g)  # sum_st tr(N^st Y_g^ts)
        nus.append(float(q * (q + 1) / total) if total > 0 else float("nan"))
    return nus


def _cross_section(cells: twfe.Cells, sets: np.ndarray, contrasts: np.ndarray):
    """The groups' raw rows, M and the vectors for a repeated cross-section (group and period
    effects, clusters = units, the group effects not nested in them): the full design
    [slopes, period dummies 1.., group dummies], each unit's adjustment from its own block
    exactly."""
    W = cells.W
    T = W.shape[1]
    tr_fe = cells.fe_treated.astype(bool)
    J, F = sets.shape[1], len(tr_fe)
    rows = []
    for f in range(F):
        R = np.zeros((T, J + T - 1 + F))
        R[:, :J] = sets * tr_fe[f]
        R[1:, J:J + T - 1] = np.eye(T - 1)
        R[:, J + T - 1 + f] = 1.0
        rows.append(R)
    member = np.zeros((F, W.shape[0]))
    member[cells.fe, np.arange(W.shape[0])] = 1.0
    by_group = member @ W  # (F, T) weights per group and period
    xwx = sum(R.T @ (by_group[f][:, None] * R) for f, R in enumerate(rows))
    bread = np.linalg.pinv(xwx)
    full = np.hstack([contrasts, np.zeros((len(contrasts), xwx.shape[0] - J))])
    stacked = np.stack(rows)

    def vectors(units: np.ndarray) -> np.ndarray:
        X = np.sqrt(W[units])[:, :, None] * stacked[cells.fe[units]]  # (n, T, K)
        A = inverse_root(np.eye(T) - X @ bread @ np.transpose(X, (0, 2, 1)))
        return np.einsum("gts,gsk,kc->cgt", A, X, bread @ full.T)

    return rows, bread, vectors


def inverse_root(B: np.ndarray) -> np.ndarray:
    """The symmetric inverse square root of each symmetric matrix in B (n, T, T) on its range
    (eigenvalues below EIGEN_TOLERANCE count as zero), as clubSandwich's matrix_power(x, -1/2)."""
    values, vectors = np.linalg.eigh(B)
    keep = values > EIGEN_TOLERANCE
    root = np.where(keep, 1.0 / np.sqrt(np.where(keep, values, 1.0)), 0.0)
    return (vectors * root[:, None, :]) @ np.transpose(vectors, (0, 2, 1))
