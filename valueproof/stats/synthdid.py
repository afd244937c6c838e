"""Synthetic difference-in-differences for one treated account against a pool of donor accounts.

Arkhangelsky, Athey, Hirshberg, Imbens & Wager (2021, AER): donor (unit) weights that make the
weighted donors move like the account before the rollout, up to a level shift (the intercept), with
the paper's ridge penalty zeta = (N_tr * T_post)^(1/4) * sigma; time weights on the pre-rollout
periods that make them look like the post-rollout ones (a tiny penalty, as the R package synthdid);
the effect is the doubly weighted difference-in-differences. Beside it, synthetic control (Abadie,
Diamond & Hainmueller 2010: no intercept, no time weights) and plain DiD against all donors.

The weights solve penalised least squares on the simplex by Frank–Wolfe with exact line search,
as the R package does (100 steps, sparsify: weights under a quarter of the largest dropped, then up
to 10,000 steps until the objective falls by less than (1e-5 sigma)^2). The solver is batched: it
fits many problems at once (the account and every donor's placebo), one matrix product per step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_ITER = 10_000
MAX_ITER_BEFORE_SPARSIFY = 100
TIME_PENALTY = 1e-6  # eta_lambda of the R package: time weights are all but unpenalised
SC_PENALTY = 1e-6  # eta_omega of synthetic control (R's sc_estimate)
MIN_DECREASE = 1e-5  # stop when the objective falls by less than (MIN_DECREASE * sigma)^2


@dataclass(frozen=True)
class SyntheticFit:
    """One synthetic DiD fit: the effect in the KPI's unit, the weights and the twin's path."""

    estimate: float  # the synthetic DiD effect (tau)
    unit_weights: np.ndarray  # (J,) donor weights, sum 1, >= 0
    time_weights: np.ndarray  # (T0,) pre-period weights, sum 1
    intercept: float  # level shift of the synthetic twin (SDID's unit fixed effect)
    synthetic: np.ndarray  # (T,) the synthetic twin's path (weighted donors + intercept)
    pre_rmspe: float  # root mean squared pre-period gap, treated - synthetic
    sc_estimate: float  # synthetic control: no intercept, no time weights
    did_estimate: float  # plain DiD against all donors, equal weights


@dataclass(frozen=True)
class Penalties:
    """The penalties and stopping rule of one panel, fixed from the full donor pool (as the R
    package keeps them for its placebo replications)."""

    zeta_omega: float
    zeta_lambda: float
    zeta_sc: float
    min_decrease: float


def noise_level(donors_pre: np.ndarray) -> float:
    """sigma: standard deviation of the donors' period-to-period changes before the rollout."""
    if donors_pre.shape[1] < 2:
        return 0.0
    return float(np.std(np.diff(donors_pre, axis=1), ddof=1))


def penalties(donors_pre: np.ndarray, n_post: int, n_treated: int = 1) -> Penalties:
    """The paper's regularisation for this panel."""
    sigma = noise_level(donors_pre)
    return Penalties(zeta_omega=(n_treated * n_post) ** 0.25 * sigma, zeta_lambda=TIME_PENALTY * sigma,
                     zeta_sc=SC_PENALTY * sigma, min_decrease=MIN_DECREASE * sigma)


def capped_vertices(gradient: np.ndarray, cap: float) -> np.ndarray:
    """Per row, the vertex of {x >= 0, sum x = 1, x <= cap} that minimises <gradient, x>:
    `cap` on the smallest entries in turn, the remainder on the next one."""
    order = np.argsort(gradient, axis=1)
    full = int(np.floor(1.0 / cap + 1e-12))
    fill = np.zeros(gradient.shape[1])
    fill[:full] = cap
    if full < gradient.shape[1]:
        fill[full] = max(0.0, 1.0 - full * cap)
    vertices = np.zeros_like(gradient)
    np.put_along_axis(vertices, order, np.broadcast_to(fill, gradient.shape), axis=1)
    return vertices


def frank_wolfe(A: np.ndarray, B: np.ndarray, rows: np.ndarray, allowed: np.ndarray, start: np.ndarray,
                zeta: float, min_decrease: float, max_iter: int, *, intercept: bool = True,
                cap: float | None = None) -> np.ndarray:
    """Batched Frank–Wolfe for P problems sharing the matrix A (n, m):

    problem p minimises zeta^2 |x|^2 + |A_p x - b_p|^2 / n_p over x >= 0, sum x = 1 (x <= cap),
    where A_p, b_p are the rows of A and B[p] marked in rows[p] (n_p of them), centred over those
    rows when `intercept`, and x is zero outside allowed[p]. Exact line search; a problem stops when
    its objective falls by min_decrease^2 or less (after two steps). Returns X (P, m).
    """
    X = start.copy()
    W = rows.astype(float)
    n_rows = W.sum(axis=1)

    def centred(M):
        return (M - (W * M).sum(axis=1, keepdims=True) / n_rows[:, None]) * W if intercept else M * W

    Bc = centred(B)
    R = centred(X @ A.T) - Bc  # residuals A_p x - b_p
    eta = n_rows * zeta**2
    blocked = np.where(allowed, 0.0, np.inf)
    last = np.full(len(X), np.inf)
    active = np.arange(len(X))
    for step_no in range(max_iter):
        x, r, w = X[active], R[active], W[active]
        gradient = r @ A + eta[active, None] * x
        if cap is None:
            best = np.argmin(gradient + blocked[active], axis=1)
            direction = -x
            direction[np.arange(len(active)), best] += 1.0
            moved = A.T[best]
        else:
            vertex = capped_vertices(gradient + blocked[active], cap)
            direction = vertex - x
            moved = vertex @ A.T
        if intercept:
            moved = moved - (w * moved).sum(axis=1, keepdims=True) / n_rows[active, None]
        error_change = moved * w - (r + Bc[active])
        slope = -(gradient * direction).sum(axis=1)
        curvature = (error_change**2).sum(axis=1) + eta[active] * (direction**2).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            size = np.clip(np.where(curvature > 0, slope / curvature, 0.0), 0.0, 1.0)
        X[active] = x + size[:, None] * direction
        R[active] = r + size[:, None] * error_change
        value = zeta**2 * (X[active] ** 2).sum(axis=1) + (R[active] ** 2).sum(axis=1) / n_rows[active]
        going = (step_no < 1) | (last[active] - value > min_decrease**2)
        last[active] = value
        active = active[going]
        if not len(active):
            break
    return X


def sparsify(X: np.ndarray, cap: float | None = None) -> np.ndarray:
    """The R package's restart point: weights at or under a quarter of the largest set to zero,
    the rest rescaled to sum to one (kept as they were where rescaling would break the cap)."""
    kept = np.where(X <= X.max(axis=1, keepdims=True) / 4, 0.0, X)
    kept = kept / kept.sum(axis=1, keepdims=True)
    if cap is not None:
        kept = np.where((kept > cap + 1e-12).any(axis=1, keepdims=True), X, kept)
    return kept


def solve(A, B, rows, allowed, start, zeta, min_decrease, *, intercept=True, cap=None) -> np.ndarray:
    """Frank–Wolfe as the R package runs it: a short run, sparsify, then the long run."""
    first = frank_wolfe(A, B, rows, allowed, start, zeta, min_decrease, MAX_ITER_BEFORE_SPARSIFY,
                        intercept=intercept, cap=cap)
    return frank_wolfe(A, B, rows, allowed, sparsify(first, cap), zeta, min_decrease, MAX_ITER,
                       intercept=intercept, cap=cap)


def sdid_weights(donors: np.ndarray, targets: np.ndarray, n_pre: int, controls: np.ndarray,
                 pen: Penalties, *, cap: float | None = None, omega_start: np.ndarray | None = None,
                 lambda_start: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Unit and time weights for P problems at once.

    donors: (J, T) the pool; targets: (P, T) each problem's treated path; controls: (P, J) bool,
    the donors each problem may use. Returns omega (P, J) and lambda (P, T0).
    """
    P, J = controls.shape
    pre, post_mean = donors[:, :n_pre], donors[:, n_pre:].mean(axis=1)
    if lambda_start is None:
        lambda_start = np.full((P, n_pre), 1.0 / n_pre)
    lambdas = solve(pre, np.broadcast_to(post_mean, (P, J)), controls, np.ones((P, n_pre), bool),
                    lambda_start, pen.zeta_lambda, pen.min_decrease)
    if omega_start is None:
        omega_start = controls / controls.sum(axis=1, keepdims=True)
    omegas = solve(pre.T, targets[:, :n_pre], np.ones((P, n_pre), bool), controls, omega_start,
                   pen.zeta_omega, pen.min_decrease, cap=cap)
    return omegas, lambdas


def sdid_effects(donors: np.ndarray, targets: np.ndarray, n_pre: int, omegas: np.ndarray,
                 lambdas: np.ndarray) -> np.ndarray:
    """tau per problem: the post-minus-pre (time-weighted) gap between target and weighted donors."""
    gaps = targets - omegas @ donors  # (P, T)
    return gaps[:, n_pre:].mean(axis=1) - (gaps[:, :n_pre] * lambdas).sum(axis=1)


def sc_effects(donors: np.ndarray, targets: np.ndarray, n_pre: int, controls: np.ndarray,
               pen: Penalties) -> np.ndarray:
    """Synthetic control per problem: post-period mean gap to the weighted donors (no intercept,
    no time weights, weights fitted on the pre-period levels with R's tiny ridge)."""
    P = len(targets)
    start = controls / controls.sum(axis=1, keepdims=True)
    omegas = solve(donors[:, :n_pre].T, targets[:, :n_pre], np.ones((P, n_pre), bool), controls, start,
                   pen.zeta_sc, pen.min_decrease, intercept=False)
    return (targets - omegas @ donors)[:, n_pre:].mean(axis=1)


def did_effects(donors: np.ndarray, targets: np.ndarray, n_pre: int, controls: np.ndarray) -> np.ndarray:
    """Plain DiD per problem: equal weights on the allowed donors and on the periods."""
    omegas = controls / controls.sum(axis=1, keepdims=True)
    lambdas = np.full((len(targets), n_pre), 1.0 / n_pre)
    return sdid_effects(donors, targets, n_pre, omegas, lambdas)


def check_panel(Y: np.ndarray, n_pre: int, max_weight: float | None) -> None:
    """Refuse a panel the estimator cannot fit (the stats stage checks these first, in words)."""
    if Y.ndim != 2 or Y.shape[0] < 3:
        raise ValueError("synthetic DiD needs a (donors + 1, periods) panel with two donors or more")
    if not 2 <= n_pre < Y.shape[1]:
        raise ValueError("synthetic DiD needs two pre-rollout periods or more and one after")
    if not np.isfinite(Y).all():
        raise ValueError("synthetic DiD needs a value for every donor and period")
    if max_weight is not None and not 1.0 / (Y.shape[0] - 2) <= max_weight <= 1.0:
        raise ValueError("max_weight must lie between 1 / (donors - 1) and 1")


def synthetic_did(Y: np.ndarray, n_pre: int, *, max_weight: float | None = None) -> SyntheticFit:
    """Y: (J + 1, T) — rows 0..J-1 the donors, the LAST row the treated account; columns the periods
    in order, the first n_pre before the rollout. Arkhangelsky et al. (2021) regularisation and weights."""
    Y = np.asarray(Y, dtype=float)
    check_panel(Y, n_pre, max_weight)
    donors, treated = Y[:-1], Y[-1:]
    J = len(donors)
    pen = penalties(donors[:, :n_pre], Y.shape[1] - n_pre)
    everyone = np.ones((1, J), bool)
    omegas, lambdas = sdid_weights(donors, treated, n_pre, everyone, pen, cap=max_weight)
    omega, lam = omegas[0], lambdas[0]
    twin = omega @ donors
    intercept = float(lam @ (treated[0, :n_pre] - twin[:n_pre]))
    synthetic = twin + intercept
    return SyntheticFit(
        estimate=float(sdid_effects(donors, treated, n_pre, omegas, lambdas)[0]),
        unit_weights=omega, time_weights=lam, intercept=intercept, synthetic=synthetic,
        pre_rmspe=float(np.sqrt(np.mean((treated[0, :n_pre] - synthetic[:n_pre]) ** 2))),
        sc_estimate=float(sc_effects(donors, treated, n_pre, everyone, pen)[0]),
        did_estimate=float(did_effects(donors, treated, n_pre, everyone)[0]),
    )
