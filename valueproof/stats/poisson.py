"""Poisson regression (pseudo-maximum likelihood) with fixed effects on the unit x period table:
`y ~ D_1 + ... + D_J | fe + period`, the estimator of `kpis[].model: poisson` (Wooldridge 2023,
"Simple approaches to nonlinear difference-in-differences with panel data", Econometrics
Journal). `fe` is the unit for panels (the group for a repeated cross-section); every D_j is
treated x (period in set j), as in `stats.twfe`; each coefficient is a log rate ratio.

Fixed effects are concentrated out exactly: given the slopes and period effects, the effect of
fe level f is log(sum of its y / sum of its exp(eta)), so the likelihood left over has only
the J slopes and the period effects (K = J + T - 1 parameters), maximised by Newton's method
with step halving. Its gradient is X'(y - mu) and its Hessian X~' diag(mu) X~ (X demeaned within
fe level with weights mu), the same sums over the dense units x periods matrices as the linear
model's, so a 2,000-unit x 26-week panel takes about 20 ms. As in pyfixest's `fepois`,
fe levels and periods without any event are left out (their effect is minus infinity and they
say nothing about a rate ratio), and so is a unit with a single cell (its effect fits it
exactly).

Standard errors (scores s_i = sum_t (x_it - m_f(i)) (y_it - mu_it) per unit, bread
B = (X~' diag(mu) X~)^-1):
- `cr1`: B (sum_i s_i s_i') B x G/(G-1) x (N-1)/(N-k), t with G - 1 df; k counts the slopes,
  the period levels and the fe levels not nested in the clusters, exactly pyfixest's
  `fepois(..., vcov={"CRV1": unit})` (tested).
- `cluster` on a panel with one slope: CR2 of the model linearised at the estimate (working
  response z = eta + (y - mu)/mu, weights mu: the last step of iteratively reweighted least
  squares), with Bell-McCaffrey degrees of freedom, from `stats.twfe` / `stats.cr2`: the
  bias-reduced sandwich for generalised linear models of Kauermann & Carroll (2001) and
  Mancl & DeRouen (2001) with the working model Var(y) = mu, which is Poisson's own. Several
  slopes (the event study) and cross-sections use CR1.
- `iid`: B x (N-1)/(N-k) and `hc1`: B (sum over cells of s s') B x N/(N-k) with every fe
  level counted in k, t with N - k df, as pyfixest's "iid" and "hetero".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from valueproof.stats import twfe

MAX_ITERATIONS = 100
STEP_TOLERANCE = 1e-11  # largest Newton step (log points) at convergence
SEPARATED = 25.0  # a slope beyond +-25 log points (a ratio of 7e10): the data separate it


@dataclass(frozen=True)
class PoissonFit:
    coef: np.ndarray  # (J,) log rate ratios
    cov: np.ndarray  # (J, J)
    df: float
    n_cells: int  # cells used
    n_clusters: int  # units used
    influence: np.ndarray | None  # (units used, J), cov = psi' psi (cluster SEs)
    used: np.ndarray  # (G,) bool: the cells' units the fit used
    zero_units: int  # units (fe levels) without any event: left out
    zero_periods: int  # periods without any event: left out
    singletons: int  # units with one cell: left out


@dataclass
class _Design:
    Y: np.ndarray  # (G, T) outcome, 0 where there is no cell
    present: np.ndarray  # (G, T) bool
    tr: np.ndarray  # (G,) float
    fe: np.ndarray  # (G,) fe level of each unit
    tr_fe: np.ndarray  # (F,)
    sets: np.ndarray  # (T, J)
    P: int  # period dummies (the first period is the reference)
    nested: bool  # the fe levels are the clusters (units)

    @property
    def F(self) -> int:
        return len(self.tr_fe)

    def by_level(self, X: np.ndarray) -> np.ndarray:
        """Rows of X summed per fe level."""
        if self.nested:
            return X
        out = np.zeros((self.F,) + X.shape[1:])
        np.add.at(out, self.fe, X)
        return out

    def level_means(self, M: np.ndarray) -> np.ndarray:
        """(F, K) the fe levels' regressor means, from their period shares M (F, T)."""
        return np.hstack([self.tr_fe[:, None] * (M @ self.sets), M[:, 1:self.P + 1]])


def fit(cells: twfe.Cells, sets: np.ndarray, se: str,
        period_effects: bool = True) -> PoissonFit | None:
    """Poisson pseudo-maximum likelihood of `y ~ D | fe + period` (`sets` (T, J): D_j = treated
    x sets[period, j]); without `period_effects`, `y ~ D | fe`. Cell weights are presence (the
    counts' cells count once each). None when a slope is not identified or the data separate it
    (no event at all on one side of it): its rate ratio would be 0 or infinite."""
    present = cells.W > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        Y = np.where(present, cells.WY / np.where(present, cells.W, 1.0), 0.0)
    if np.any(Y < 0):
        raise ValueError("Poisson regression needs values of 0 or more")
    nested = cells.fe_is_cluster
    units, periods, zero_units, zero_periods, singletons = _usable(Y, present, cells.fe,
                                                                   nested, period_effects)
    if units.sum() < 2 or periods.sum() < 1:
        return None
    fe_values, fe = np.unique(cells.fe[units], return_inverse=True)
    design = _Design(Y[np.ix_(units, periods)], present[np.ix_(units, periods)],
                     cells.fe_treated[cells.fe[units]].astype(float), fe,
                     cells.fe_treated[fe_values].astype(float), np.asarray(sets, float)[periods],
                     int(periods.sum()) - 1 if period_effects else 0, nested)
    theta = _newton(design)
    if theta is None:
        return None
    J = design.sets.shape[1]
    mu, _ = _means(design, theta)
    info = _information(design, mu)
    bread = _inverse(info)
    if bread is None:
        return None
    cov, df, psi = _covariance(design, mu, bread, se, period_effects)
    return PoissonFit(theta[:J], cov, df, int(design.present.sum()), len(design.tr), psi, units,
                      zero_units, zero_periods, singletons)


def null_residuals(cells: twfe.Cells) -> np.ndarray | None:
    """y - mu of the model without slopes (`y ~ 1 | fe + period`), zero where there is no cell
    or the unit was left out: what a score test of a slope needs. None when nothing is left."""
    present = cells.W > 0
    Y = np.where(present, cells.WY, 0.0)
    units, periods, *_ = _usable(Y, present, cells.fe, cells.fe_is_cluster, True)
    if units.sum() < 2 or periods.sum() < 2:
        return None
    fe_values, fe = np.unique(cells.fe[units], return_inverse=True)
    design = _Design(Y[np.ix_(units, periods)], present[np.ix_(units, periods)],
                     cells.fe_treated[cells.fe[units]].astype(float), fe,
                     cells.fe_treated[fe_values].astype(float), np.zeros((int(periods.sum()), 0)),
                     int(periods.sum()) - 1, cells.fe_is_cluster)
    theta = _newton(design)
    if theta is None:
        return None
    mu, _ = _means(design, theta)
    out = np.zeros(Y.shape)
    out[np.ix_(units, periods)] = np.where(design.present, design.Y - mu, 0.0)
    return out


def _usable(Y, present, fe, nested, period_effects):
    """Units and periods left after removing, until none is left to remove, fe levels and
    periods without any event and (panels) units with a single cell."""
    G, T = Y.shape
    units, periods = present.any(axis=1), np.ones(T, bool)
    zero_units = singletons = zero_periods = 0
    while True:
        cellsets = present & units[:, None] & periods[None, :]
        totals = np.where(cellsets, Y, 0.0)
        if nested:
            empty = units & (totals @ np.ones(T) <= 0)
            single = units & ~empty & (cellsets @ np.ones(T) < 2)
        else:
            level = np.bincount(fe, totals @ np.ones(T), minlength=fe.max() + 1)
            empty, single = units & (level[fe] <= 0), np.zeros(G, bool)
        quiet = periods & (np.ones(G) @ totals <= 0) if period_effects else np.zeros(T, bool)
        if not (empty.any() or single.any() or quiet.any()):
            return units, periods, zero_units, zero_periods, singletons
        zero_units += int(empty.sum())
        singletons += int(single.sum())
        zero_periods += int(quiet.sum())
        units &= ~(empty | single)
        periods &= ~quiet
        units &= (present & periods[None, :]).any(axis=1)


def _means(d: _Design, theta: np.ndarray) -> tuple[np.ndarray, float]:
    """Fitted means with the fe effects concentrated out, and the log-likelihood (up to a
    constant)."""
    J = d.sets.shape[1]
    lam = np.zeros(d.Y.shape[1])
    lam[1:d.P + 1] = theta[J:]
    eta = np.where(d.present, d.tr[:, None] * (d.sets @ theta[:J])[None, :] + lam[None, :],
                   -np.inf)
    shift = eta.max(axis=1)
    if not d.nested:
        level_max = np.full(d.F, -np.inf)
        np.maximum.at(level_max, d.fe, shift)
        shift = level_max[d.fe]
    E = np.exp(eta - shift[:, None])
    totals = d.by_level(d.Y @ np.ones(d.Y.shape[1]))
    scale = totals / d.by_level(E @ np.ones(E.shape[1]))
    mu = E * scale[d.fe][:, None]
    positive = d.Y > 0
    with np.errstate(divide="ignore"):
        loglik = float(d.Y[positive] @ np.log(mu[positive]))
    return mu, loglik


def _gradient(d: _Design, mu: np.ndarray) -> np.ndarray:
    R = np.where(d.present, d.Y - mu, 0.0)
    return np.concatenate([d.sets.T @ (d.tr @ R), (np.ones(len(d.tr)) @ R)[1:d.P + 1]])


def _information(d: _Design, mu: np.ndarray) -> np.ndarray:
    """X~' diag(mu) X~: the regressors demeaned within fe level with weights mu."""
    J, P = d.sets.shape[1], d.P
    A = d.by_level(mu)
    M = A / (A @ np.ones(A.shape[1]))[:, None]
    Q, Q_tr = A.T @ M, A.T @ (M * d.tr_fe[:, None])
    w_tr, w = d.tr @ mu, np.ones(len(d.tr)) @ mu
    K = J + P
    info = np.zeros((K, K))
    info[:J, :J] = d.sets.T @ (w_tr[:, None] * d.sets) - d.sets.T @ Q_tr @ d.sets
    info[:J, J:] = (d.sets * w_tr[:, None])[1:P + 1].T - d.sets.T @ Q_tr[:, 1:P + 1]
    info[J:, :J] = info[:J, J:].T
    info[J:, J:] = np.diag(w[1:P + 1]) - Q[1:P + 1, 1:P + 1]
    return info


def _inverse(matrix: np.ndarray) -> np.ndarray | None:
    scale = np.sqrt(np.maximum(np.diag(matrix), 0.0))
    if matrix.size == 0 or np.any(scale <= 1e-12 * max(1.0, scale.max(initial=0.0))):
        return None
    scaled = matrix / np.outer(scale, scale)
    if np.linalg.cond(scaled) > 1e12:
        return None
    return np.linalg.inv(scaled) / np.outer(scale, scale)


def _newton(d: _Design) -> np.ndarray | None:
    """The slopes and period effects maximising the concentrated likelihood; None when Newton's
    method does not settle (separation: a slope runs off to infinity)."""
    J = d.sets.shape[1]
    theta = np.zeros(J + d.P)
    per_period = np.ones(len(d.tr)) @ d.Y
    if d.P:
        theta[J:] = np.log(per_period[1:d.P + 1] / per_period[0])
    mu, loglik = _means(d, theta)
    for _ in range(MAX_ITERATIONS):
        inverse = _inverse(_information(d, mu))
        if inverse is None:
            return None
        step = inverse @ _gradient(d, mu)
        size = 1.0
        while True:
            candidate = theta + size * step
            new_mu, new_loglik = _means(d, candidate)
            if new_loglik >= loglik - 1e-12 * (1 + abs(loglik)) or size < 1e-6:
                break
            size /= 2
        theta, mu, loglik = candidate, new_mu, new_loglik
        if np.abs(theta[:J]).max(initial=0.0) > SEPARATED:
            return None
        if np.abs(size * step).max(initial=0.0) < STEP_TOLERANCE:
            return theta
    return None


def _k_counted(d: _Design, period_effects: bool, nested_in_clusters: bool) -> int:
    """pyfixest's k of the (N - 1)/(N - k) factor: the slopes and every fe level (one
    redundant per extra fixed effect), less the levels nested in the clusters plus one."""
    J, T = d.sets.shape[1], d.Y.shape[1]
    levels = d.F + (T - 1 if period_effects else 0)
    return J + levels - (d.F - 1 if nested_in_clusters else 0)


def _covariance(d: _Design, mu, bread, se, period_effects):
    J, P = d.sets.shape[1], d.P
    G, T = d.Y.shape
    N = int(d.present.sum())
    R = np.where(d.present, d.Y - mu, 0.0)
    A = d.by_level(mu)
    m = d.level_means(A / (A @ np.ones(T))[:, None])
    nan = (np.full((J, J), np.nan), 0, None)
    if se == "cluster" and d.nested and J == 1:
        with np.errstate(divide="ignore", invalid="ignore"):
            log_mu = np.where(d.present, np.log(np.where(d.present, mu, 1.0)), 0.0)
        W = np.where(d.present, mu, 0.0)
        linear = twfe.Cells(W, W * log_mu + R, np.arange(G), d.tr.astype(bool), True)
        result = twfe.fit(linear, d.sets, "cluster", period_effects=period_effects)
        if result is None:
            return nan
        return result.cov, result.df, result.influence
    if se in ("cluster", "cr1"):
        k = _k_counted(d, period_effects, d.nested)
        if G < 2 or N <= k:
            return nan
        scores = np.hstack([d.tr[:, None] * (R @ d.sets), R[:, 1:P + 1]])
        scores -= m[d.fe] * (R @ np.ones(T))[:, None]
        psi = scores @ bread[:J].T * np.sqrt(G / (G - 1) * (N - 1) / (N - k))
        return psi.T @ psi, G - 1, psi
    k = _k_counted(d, period_effects, False)
    if N <= k:
        return nan
    if se == "iid":
        return bread[:J, :J] * (N - 1) / (N - k), N - k, None
    if se == "hc1":
        rows, periods = np.nonzero(d.present)
        dummies = np.eye(T)[periods]
        x = np.hstack([d.tr[rows, None] * (dummies @ d.sets), dummies[:, 1:P + 1]]) - m[d.fe[rows]]
        scores = x * R[rows, periods][:, None]
        cov = bread @ (scores.T @ scores) @ bread * N / (N - k)
        return cov[:J, :J], N - k, None
    raise ValueError(f"unknown se '{se}'")
