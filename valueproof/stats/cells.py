"""OLS for saturated cell models from sufficient statistics.

Both models valueproof fits are *saturated in cells*: the 2x2 difference-in-differences
`y ~ treated + post + treated:post` has one parameter per (group, window) cell, and the event study
`y ~ C(period) + treated + treated:C(period)` has one per (group, period) cell. For such a model the
OLS fit is the vector of cell means, the residuals are deviations from the cell mean, and every
coefficient is a linear contrast of cell means. So the exact OLS estimate and its iid or HC1
covariance follow from per-cell counts and sums of the rows, and its cluster-robust (CR1)
covariance from per-unit sums and counts by cell alone — no design matrix. The tests check the
results against statsmodels' OLS to 1e-8 on balanced and unbalanced data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CellFit:
    means: np.ndarray  # (cells,) OLS fitted value of each cell
    counts: np.ndarray  # (cells,) observations per cell
    cov: np.ndarray  # (cells, cells) covariance of the cell means
    df: int  # residual degrees of freedom for t and F tests (G - 1 for cluster)
    n_obs: int
    n_clusters: int


def fit_cells(y: np.ndarray, cell: np.ndarray, cluster: np.ndarray, n_cells: int,
              se: str) -> CellFit:
    """Fit a saturated cell model from the rows, with 'iid' or 'hc1' standard errors.

    y: outcome per observation; cell: cell index 0..n_cells-1 per observation (every cell must be
    non-empty); cluster: cluster index 0..G-1 per observation (counted, not used). The cluster
    (CR1) fit needs only per-unit sums: `fit_from_unit_sums`.
    """
    n, k = len(y), n_cells
    n_clusters = int(cluster.max()) + 1 if len(cluster) else 0
    counts = np.bincount(cell, minlength=n_cells).astype(float)
    _require_cells(counts)
    means = np.bincount(cell, weights=y, minlength=n_cells) / counts
    resid = y - means[cell]
    if se == "iid":
        sigma2 = resid @ resid / (n - k)
        cov, df = np.diag(sigma2 / counts), n - k
    elif se == "hc1":
        squares = np.bincount(cell, weights=resid * resid, minlength=n_cells)
        cov, df = np.diag(squares / counts**2 * n / (n - k)), n - k
    else:
        raise ValueError(f"unknown se '{se}'")
    return CellFit(means, counts, cov, int(df), n, n_clusters)


def fit_from_unit_sums(unit_sums: np.ndarray, unit_counts: np.ndarray,
                       cluster_block: np.ndarray) -> CellFit:
    """The saturated cell model with cluster-robust covariance (CR1, as statsmodels and Stata:
    G/(G-1) * (N-1)/(N-K), t with G - 1 df), from per-unit sufficient statistics.

    unit_sums, unit_counts: (G, J) sum and number of observations of each unit in each of its J
    cells; cluster_block: (G,) the unit's group. Cell of unit g's column j = block * J + j: each
    group has its own J cells (windows or periods) and a unit belongs to one group. A unit's score
    for a cell is sum - count * cell mean, zero outside its group, so the meat is block-diagonal.
    Units without any observation are left out (they are not clusters of this fit).
    """
    has_data = unit_counts.sum(axis=1) > 0
    if not has_data.all():
        unit_sums, unit_counts = unit_sums[has_data], unit_counts[has_data]
        cluster_block = cluster_block[has_data]
    n_clusters, per_block = unit_sums.shape
    blocks = int(cluster_block.max()) + 1
    n_cells, n = blocks * per_block, int(unit_counts.sum())
    member = (cluster_block[None, :] == np.arange(blocks)[:, None]).astype(float)
    counts = (member @ unit_counts).ravel()
    _require_cells(counts)
    means = (member @ unit_sums).ravel() / counts
    scores = unit_sums - unit_counts * means.reshape(blocks, per_block)[cluster_block]
    meat = np.zeros((n_cells, n_cells))
    for b in range(blocks):
        part = scores[cluster_block == b]
        meat[b * per_block:(b + 1) * per_block, b * per_block:(b + 1) * per_block] = part.T @ part
    adjust = n_clusters / (n_clusters - 1) * (n - 1) / (n - n_cells)
    cov = meat / np.outer(counts, counts) * adjust
    return CellFit(means, counts, cov, n_clusters - 1, n, n_clusters)


def _require_cells(counts: np.ndarray) -> None:
    if np.any(counts == 0):
        raise ValueError("every cell needs at least one observation")


def contrast(fit: CellFit, weights: np.ndarray) -> tuple[float, float]:
    """Estimate and standard error of sum(weights * cell means)."""
    weights = np.asarray(weights, dtype=float)
    value = float(weights @ fit.means)
    variance = float(weights @ fit.cov @ weights)
    return value, float(np.sqrt(max(variance, 0.0)))


def wald_test(fit: CellFit, weights: np.ndarray, se: str) -> tuple[float, tuple[int, int], float]:
    """Joint F test that every row of `weights` @ means is zero: (F, (df1, df2), p-value).

    The covariance of the contrasts is inverted with a pseudo-inverse and q is its rank. With
    cluster-robust covariance the plain Wald F(q, G-1) over-rejects badly when q is not small
    next to G (about 19% instead of 5% for 16 pre-periods and 60 units in our simulations), so we
    use Hotelling's T-squared scaling, F = W/q * (G-q)/(G-1) on (q, G-q) degrees of freedom, which
    is exact for normal cluster scores; it needs more clusters than restrictions.
    """
    from scipy import stats

    values = weights @ fit.means
    cov = weights @ fit.cov @ weights.T
    q = int(np.linalg.matrix_rank(cov))
    if q == 0:
        return float("nan"), (0, 0), float("nan")
    wald = float(values @ np.linalg.pinv(cov) @ values)
    if se == "cluster":
        groups = fit.n_clusters
        if groups - q < 1:
            return float("nan"), (q, 0), float("nan")
        statistic, df = wald / q * (groups - q) / (groups - 1), (q, groups - q)
    else:
        statistic, df = wald / q, (q, fit.df)
    return statistic, df, float(stats.f.sf(statistic, *df))
