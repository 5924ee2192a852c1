"""A two-sample test on embeddings: maximum mean discrepancy with a permutation p-value.

Model Equality Testing (Gao et al. 2025) asks whether two sets of responses
could come from one distribution. The unbiased MMD² with a Gaussian kernel
(bandwidth by the median heuristic on the pooled sample) is the statistic;
its null distribution comes from relabelling the pooled responses, so the
p-value is exact up to Monte Carlo error whatever the embedding looks like.
Power against the number of samples says how many responses an auditor needs.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel

from distillscope.metrics.stats import Estimate, proportion


class MMDTest(BaseModel):
    mmd2: float
    p_value: float
    permutations: int
    n_x: int
    n_y: int


def _kernel(pooled: np.ndarray) -> np.ndarray:
    squared = np.sum(pooled**2, axis=1)
    distances = np.maximum(squared[:, None] + squared[None, :] - 2 * pooled @ pooled.T, 0.0)
    upper = distances[np.triu_indices(len(pooled), k=1)]
    bandwidth = np.median(upper[upper > 0]) if np.any(upper > 0) else 1.0
    return np.exp(-distances / bandwidth)


def _mmd2(kernel: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Unbiased MMD² for each row of a 0/1 label matrix (1 = first sample)."""
    x = labels.astype(float)
    y = 1.0 - x
    n_x, n_y = x.sum(axis=1), y.sum(axis=1)
    diagonal = np.diag(kernel)
    kx, ky = x @ kernel, y @ kernel
    sum_xx = np.einsum("ij,ij->i", kx, x) - x @ diagonal
    sum_yy = np.einsum("ij,ij->i", ky, y) - y @ diagonal
    sum_xy = np.einsum("ij,ij->i", kx, y)
    return sum_xx / (n_x * (n_x - 1)) + sum_yy / (n_y * (n_y - 1)) - 2 * sum_xy / (n_x * n_y)


def mmd_test(x: np.ndarray, y: np.ndarray, permutations: int = 500, seed: int = 0) -> MMDTest:
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 2 or len(y) < 2:
        raise ValueError("the MMD test needs at least two responses from each model")
    kernel = _kernel(np.vstack([x, y]))
    labels = np.zeros(len(x) + len(y), dtype=bool)
    labels[: len(x)] = True
    observed = float(_mmd2(kernel, labels[None, :])[0])
    rng = np.random.default_rng(seed)
    shuffled = np.stack([rng.permutation(labels) for _ in range(permutations)])
    null = _mmd2(kernel, shuffled)
    p_value = (1 + int(np.sum(null >= observed))) / (1 + permutations)
    return MMDTest(mmd2=observed, p_value=p_value, permutations=permutations, n_x=len(x), n_y=len(y))


def mmd_power(x: np.ndarray, y: np.ndarray, sizes: list[int] | None = None, repeats: int = 50, alpha: float = 0.05,
              permutations: int = 200, seed: int = 0) -> dict[int, Estimate]:
    """Share of tests on m responses per model that reject at alpha, for each m."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    limit = min(len(x), len(y))
    sizes = [m for m in (sizes or [4, 8, 16, 32, 64, 128, 256]) if 2 <= m <= limit] or [limit]
    rng = np.random.default_rng(seed)
    power = {}
    for m in sizes:
        rejections = 0
        for _ in range(repeats):
            xi, yi = rng.choice(len(x), m, replace=False), rng.choice(len(y), m, replace=False)
            rejections += mmd_test(x[xi], y[yi], permutations, int(rng.integers(1 << 31))).p_value < alpha
        power[m] = proportion(rejections, repeats)
    return power
