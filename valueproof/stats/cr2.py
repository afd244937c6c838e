"""CR2 cluster-robust covariance (bias-reduced linearization) with Bell-McCaffrey degrees of
freedom, for the unit fixed-effects panel model of `stats.twfe`.

Definitions (Bell & McCaffrey 2002; Pustejovsky & Tipton 2018, the formulas of R's clubSandwich
with the working model Phi = W^-1): in the weighted space (rows scaled by sqrt(w)) let X~ be the
full design (unit dummies, period dummies, the treated x period columns), H~ its hat matrix and
e~ the residuals. Cluster g's adjustment is A_g = ((I - H~)_gg)^(+1/2) (the symmetric inverse
square root on its range), and

    V = M (sum_g X~_g' A_g e~_g e~_g' A_g X~_g) M,        M = (X~'X~)^-1.

For a contrast c, with q_g = A_g X~_g M c and p_g = (I - H~) q_g (q_g placed in g's rows), the
Satterthwaite degrees of freedom are (sum_g p_g'p_g)^2 / sum_g sum_h (p_g'p_h)^2.

The unit dummies are nested in the clusters, so they are absorbed exactly: with Z_g the
within-unit demeaned columns (scaled by sqrt(w)) and v_g = sqrt(w_g), (I - H~)_gg = P_g - E_g
where P_g = I - v_g v_g'/S_g and E_g = Z_g M Z_g'. Residuals and Z are orthogonal to v_g, so A_g
acts on the range of P_g, where A_g = (I - E_g)^(-1/2) = sum_k c_k E_g^k (c_k = binom(2k, k)/4^k).
The series needs only products with Z (never a units x K or T x T matrix per unit) and converges
fast when a unit's leverage tr(E_g) is small, as in every large panel; units with leverage above
LEVERAGE_EXACT get the exact eigen-decomposition. Across clusters, p_g'p_h = -r_g' M r_h with
r_g = Z_g' q_g (the unit dummies are block-diagonal), so the double sum needs only K x K
products: sum_g d_g^2 - sum_g (r_g'M r_g)^2 + tr(M S M S), d_g = q_g'q_g - r_g'M r_g,
S = sum_g r_g r_g'. The tests check all of it against the full dummy-variable formulas.
"""

from __future__ import annotations

import numpy as np

LEVERAGE_EXACT = 0.25  # above this a unit's adjustment is computed exactly, not by the series
TOLERANCE = 1e-10  # relative size of the last series term kept
MAX_TERMS = 200


class UnitDesign:
    """The demeaned regressors of a unit fixed-effects panel, as operators on (G, T) matrices.

    Regressors: D_j = treated x sets[t, j] (J columns), then period dummies 1..P.
    """

    def __init__(self, W: np.ndarray, treated: np.ndarray, sets: np.ndarray, P: int,
                 period_means: np.ndarray, bread: np.ndarray):
        self.sw = np.sqrt(W)
        self.S = W @ np.ones(W.shape[1])
        self.tr = treated.astype(float)
        self.sets, self.P, self.J = sets, P, sets.shape[1]
        self.bread = bread  # M = (X~'X~)^-1 of the slopes and period dummies
        self.m = np.hstack([self.tr[:, None] * (period_means @ sets), period_means[:, 1:P + 1]])
        self._roots: dict[bytes, np.ndarray] = {}  # exact adjustments, by the units they are of

    def rows(self, treated: bool) -> np.ndarray:
        """(T, K): the raw regressor row of each period for a treated (or control) unit."""
        T = self.sw.shape[1]
        rows = np.zeros((T, self.J + self.P))
        if treated:
            rows[:, :self.J] = self.sets
        rows[1:self.P + 1, self.J:] = np.eye(self.P)
        return rows

    def xt(self, z: np.ndarray) -> np.ndarray:
        """X_g' z_g for every unit (z already scaled by sqrt(w)): (G, K)."""
        out = np.empty((z.shape[0], self.J + self.P))  # filled in place: no stacked copies
        np.multiply(self.tr[:, None], z @ self.sets, out=out[:, :self.J])
        out[:, self.J:] = z[:, 1:self.P + 1]
        out -= self.m * (z @ np.ones(z.shape[1]))[:, None]
        return out

    def x(self, b: np.ndarray) -> np.ndarray:
        """X_g b_g for every unit: (G, T)."""
        out = self.tr[:, None] * (b[:, :self.J] @ self.sets.T)
        out[:, 1:self.P + 1] += b[:, self.J:]
        out -= np.einsum("gk,gk->g", self.m, b)[:, None]
        return out

    def E(self, y: np.ndarray) -> np.ndarray:
        """E_g y_g = Z_g M Z_g' y_g for every unit."""
        return self.sw * self.x(self.xt(self.sw * y) @ self.bread)

    def leverage(self) -> np.ndarray:
        """tr(E_g) per unit: sum_t w_t (x_t - m_g) M (x_t - m_g)'; each group's units with
        their own regressor rows."""
        out = np.zeros(len(self.tr))
        m_bread = self.m @ self.bread
        for flag in (True, False):
            units = self.tr == flag
            rows = self.rows(flag)
            diag = ((rows @ self.bread) * rows).sum(axis=1)
            m, W = self.m[units], self.sw[units] ** 2
            cross = m_bread[units] @ rows.T  # (units, T)
            out[units] = (W @ diag - 2 * np.einsum("gt,gt->g", W, cross)
                          + np.einsum("gk,gk->g", m_bread[units], m) * self.S[units])
        return out

    def adjust(self, y: np.ndarray, exact: np.ndarray) -> np.ndarray:
        """A_g y_g for every unit (each row of y orthogonal to sqrt(w_g))."""
        out = y.copy()
        term = y.copy()
        scale = max(np.abs(y).max(initial=0.0), 1e-300)
        for k in range(1, MAX_TERMS + 1):
            term = self.E(term) * ((2 * k - 1) / (2 * k))
            term[exact] = 0.0
            out += term
            if np.abs(term).max(initial=0.0) < TOLERANCE * scale:
                break
        if exact.any():
            out[exact] = self._adjust_exactly(np.flatnonzero(exact), y[exact])
        return out

    def _adjust_exactly(self, units: np.ndarray, y: np.ndarray) -> np.ndarray:
        """A_g y_g for the given units, from each one's eigen-decomposition (computed once per
        design: a joint test adjusts one vector per restriction for the same units)."""
        key = units.tobytes()
        if key not in self._roots:
            self._roots[key] = self._exact_roots(units)
        return np.einsum("gts,gs->gt", self._roots[key], y)

    def _exact_roots(self, units: np.ndarray) -> np.ndarray:
        sw, S = self.sw[units], self.S[units]
        T = sw.shape[1]
        rows = np.where(self.tr[units, None, None] == 1, self.rows(True), self.rows(False))
        Z = sw[:, :, None] * (rows - self.m[units][:, None, :])
        B = np.eye(T) - sw[:, :, None] * sw[:, None, :] / S[:, None, None]
        B -= Z @ self.bread @ np.transpose(Z, (0, 2, 1))
        values, vectors = np.linalg.eigh(B)
        keep = values > 1e-10
        root = np.where(keep, 1.0 / np.sqrt(np.where(keep, values, 1.0)), 0.0)
        return (vectors * root[:, None, :]) @ np.transpose(vectors, (0, 2, 1))


def cr2(design: UnitDesign, WR: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """(1 x 1 covariance of the slope, its Satterthwaite df, the units' influences psi with
    cov = psi' psi) from the weighted residuals WR = w * e; the design has one slope (J = 1)."""
    exact = design.leverage() > LEVERAGE_EXACT
    with np.errstate(invalid="ignore", divide="ignore"):
        residuals = np.where(design.sw > 0, WR / design.sw, 0.0)  # sqrt(w) * e
    bread = design.bread
    c = np.zeros(bread.shape[0])
    c[0] = 1.0
    z = design.sw * design.x(np.broadcast_to(bread @ c, design.m.shape))
    q = design.adjust(z, exact)  # A_g Z_g M c
    # each unit's influence c'M Z_g' A_g e_g = q_g . e_g (A_g is symmetric): one series serves
    # both the variance and the degrees of freedom
    psi = np.einsum("gt,gt->g", q, residuals)[:, None]
    r = design.xt(design.sw * q)
    rMr = np.einsum("gk,gk->g", r @ bread, r)
    d = (q * q).sum(axis=1) - rMr
    S = r.T @ r
    MS = bread @ S
    denominator = (d @ d) - (rMr @ rMr) + np.trace(MS @ MS)
    df = float(d.sum() ** 2 / denominator) if denominator > 0 else float("nan")
    return psi.T @ psi, df, psi
