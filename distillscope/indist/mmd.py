"""Two-sample tests on embeddings: maximum mean discrepancy with a permutation p-value that respects the pairing.

Model Equality Testing (Gao et al. 2025) asks whether two sets of responses
could come from one distribution; the statistic is MMD² with a Gaussian
kernel (bandwidth by the median heuristic on the pooled answers, which no
permutation changes). Here both models answer the *same* prompts, and two
answers to one prompt are far more alike than answers to different prompts,
so the null distribution must keep that structure (METHODS.md section 7):

- ``paired`` (default): each row is (teacher answer, student answer) to one
  prompt at one sample index. Under H0 the two are exchangeable, so the null
  swaps them row by row with probability 1/2. With h_ij = k(x_i,x_j) +
  k(y_i,y_j) − k(x_i,y_j) − k(x_j,y_i) the statistic is
  MMD²_p = Σ_{i≠j} h_ij / (N(N−1)), and a swap vector s ∈ {±1}^N turns it into
  Σ_{i≠j} s_i s_j h_ij / (N(N−1)), so B swaps cost one B×N by N×N product.
- ``split`` (MET's design): each prompt is given to one model only (a random
  half to the teacher, the rest to the student, all samples of that prompt
  from that model); the statistic is the unbiased MMD² and the null permutes
  the prompts' labels. Valid, but it uses half the answers, so it needs more
  prompts for the same power.
- ``pooled``: relabels individual answers; valid only for two *independent*
  samples. On paired answers its null is dominated by the prompt effect and
  p ≈ 1 whatever the models do. Kept for unpaired data and as a calibration
  contrast; never used on paired answers by distillscope.

p = (1 + #{null ≥ observed}) / (1 + B). Power at m splits the prompts into
disjoint blocks of m (all their samples) and repeats the same design on each:
a Monte-Carlo estimate over this one dataset, with an interval whose sample
size is the number of disjoint blocks, not the number of tests (`mmd_power`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel

from distillscope.stats import Estimate

DESIGNS = ("paired", "split")


class MMDTest(BaseModel):
    mmd2: float
    p_value: float
    permutations: int
    n_x: int
    n_y: int
    #: paired (swap within each (prompt, sample index)), split (one model per prompt) or pooled (independent samples);
    #: results written before the paired test existed read back as "pooled", which is what they were
    design: str = "pooled"
    n_prompts: int | None = None


def _squared_distances(pooled: np.ndarray) -> np.ndarray:
    squared = np.sum(pooled**2, axis=1)
    return np.maximum(squared[:, None] + squared[None, :] - 2 * pooled @ pooled.T, 0.0)


def _gaussian(distances: np.ndarray) -> np.ndarray:
    upper = distances[np.triu_indices(len(distances), k=1)]
    positive = upper[upper > 0]
    bandwidth = float(np.median(positive)) if len(positive) else 1.0
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


def _p_value(null: np.ndarray, observed: float) -> float:
    # a relative tolerance so a permutation equal to the identity (or its mirror) counts as "≥ observed"
    return (1 + int(np.sum(null >= observed - 1e-12 * max(1.0, abs(observed))))) / (1 + len(null))


def _codes(clusters: Sequence[str] | None, n: int) -> np.ndarray:
    if clusters is None:
        return np.arange(n)
    index: dict[str, int] = {}
    return np.asarray([index.setdefault(c, len(index)) for c in clusters], dtype=int)


def _paired_from_distances(distances: np.ndarray, n: int, permutations: int, rng: np.random.Generator) -> tuple[float, float]:
    kernel = _gaussian(distances)
    h = kernel[:n, :n] + kernel[n:, n:] - kernel[:n, n:] - kernel[n:, :n]
    np.fill_diagonal(h, 0.0)
    scale = 1.0 / (n * (n - 1))
    observed = float(h.sum() * scale)
    null = np.empty(permutations)
    for start in range(0, permutations, 256):
        signs = rng.choice([-1.0, 1.0], size=(min(256, permutations - start), n))
        null[start : start + len(signs)] = np.einsum("bi,bi->b", signs @ h, signs) * scale
    return observed, _p_value(null, observed)


def _split_from_distances(
    distances: np.ndarray, codes: np.ndarray, n: int, permutations: int, rng: np.random.Generator
) -> tuple[float, float, int, int]:
    """One model per prompt: a random half of the prompts keep the teacher's answers, the rest the student's."""
    prompts = np.unique(codes)
    teacher_prompts = rng.permutation(prompts)[: len(prompts) // 2]
    to_teacher = np.isin(codes, teacher_prompts)
    keep = np.concatenate([np.flatnonzero(to_teacher), n + np.flatnonzero(~to_teacher)])  # rows of the pooled matrix
    kernel = _gaussian(distances[np.ix_(keep, keep)])
    kept_codes = np.concatenate([codes[to_teacher], codes[~to_teacher]])
    is_teacher_prompt = np.isin(prompts, teacher_prompts)
    lookup = {code: i for i, code in enumerate(prompts)}
    position = np.asarray([lookup[c] for c in kept_codes])
    observed = float(_mmd2(kernel, is_teacher_prompt[position][None, :])[0])
    shuffled = np.stack([rng.permutation(is_teacher_prompt) for _ in range(permutations)])
    null = _mmd2(kernel, shuffled[:, position])
    return observed, _p_value(null, observed), int(to_teacher.sum()), int((~to_teacher).sum())


def _run(distances: np.ndarray, codes: np.ndarray, n_x: int, n_y: int, design: str, permutations: int, rng: np.random.Generator) -> MMDTest:
    n_prompts = len(np.unique(codes))
    if design == "paired":
        observed, p = _paired_from_distances(distances, n_x, permutations, rng)
        return MMDTest(mmd2=observed, p_value=p, permutations=permutations, n_x=n_x, n_y=n_y, design=design, n_prompts=n_prompts)
    if design == "split":
        observed, p, used_x, used_y = _split_from_distances(distances, codes, n_x, permutations, rng)
        return MMDTest(mmd2=observed, p_value=p, permutations=permutations, n_x=used_x, n_y=used_y, design=design, n_prompts=n_prompts)
    if design == "pooled":
        kernel = _gaussian(distances)
        labels = np.zeros(n_x + n_y, dtype=bool)
        labels[:n_x] = True
        observed = float(_mmd2(kernel, labels[None, :])[0])
        null = _mmd2(kernel, np.stack([rng.permutation(labels) for _ in range(permutations)]))
        return MMDTest(mmd2=observed, p_value=_p_value(null, observed), permutations=permutations, n_x=n_x, n_y=n_y, design=design)
    raise ValueError(f"unknown MMD design '{design}' (choose from {', '.join(DESIGNS)} or pooled)")


def _check(x: np.ndarray, y: np.ndarray, design: str, clusters: Sequence[str] | None) -> np.ndarray:
    if (design in DESIGNS or clusters is not None) and len(x) != len(y):
        raise ValueError(f"the {design} MMD test needs one teacher and one student answer per row ({len(x)} vs {len(y)})")
    if len(x) < 2 or len(y) < 2:
        raise ValueError("the MMD test needs at least two responses from each model")
    codes = _codes(clusters, len(x))
    if design == "split" and len(np.unique(codes)) < 4:
        raise ValueError("the split MMD test needs at least four prompts")
    return codes


def mmd_test(
    x: np.ndarray, y: np.ndarray, permutations: int = 1000, seed: int = 0, design: str = "paired", clusters: Sequence[str] | None = None
) -> MMDTest:
    """Row i of x and row i of y are the teacher's and the student's answer to one (prompt, sample index).

    `clusters` (the prompt id of each row) matters for the split design, which
    assigns whole prompts to one model; the paired design swaps row by row.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    codes = _check(x, y, design, clusters)
    return _run(_squared_distances(np.vstack([x, y])), codes, len(x), len(y), design, permutations, np.random.default_rng(seed))


def power_interval(rejection_rate: float, blocks: int, confidence: float = 0.95) -> tuple[float, float]:
    """Chernoff (Kullback-Leibler) interval for a power estimated from `blocks` disjoint, hence independent, subsamples.

    Hoeffding (1963, section 5): an average over random partitions of the
    block means obeys every bound that the mean of `blocks` independent
    Bernoulli(power) draws obeys (exp is convex), so P(rate ≥ p + t) ≤
    exp(−blocks·KL(p + t ‖ p)) and likewise below, however many partitions
    were averaged. Conservative; valid at rate 0 or 1 and at blocks = 1.
    """
    bound = math.log(2 / (1 - confidence)) / blocks

    def divergence(p: float) -> float:
        q = min(max(rejection_rate, 1e-12), 1 - 1e-12)
        p = min(max(p, 1e-12), 1 - 1e-12)
        return q * math.log(q / p) + (1 - q) * math.log((1 - q) / (1 - p))

    def solve(inside: float, outside: float) -> float:  # the point where divergence crosses bound, between the two
        for _ in range(60):
            middle = (inside + outside) / 2
            inside, outside = (middle, outside) if divergence(middle) <= bound else (inside, middle)
        return inside

    low = 0.0 if divergence(0.0) <= bound else solve(rejection_rate, 0.0)
    high = 1.0 if divergence(1.0) <= bound else solve(rejection_rate, 1.0)
    return low, high


def power_basis(n_prompts: int) -> str:
    """The label every printed power carries: what its number and its interval are about."""
    return (
        f"Monte-Carlo over this one dataset of {n_prompts} prompts; the interval is for the power on a fresh dataset of m prompts, "
        f"from floor({n_prompts}/m) disjoint subsamples (Hoeffding-Chernoff, conservative)"
    )


def mmd_power(
    x: np.ndarray,
    y: np.ndarray,
    sizes: list[int] | None = None,
    repeats: int = 50,
    alpha: float = 0.05,
    permutations: int = 200,
    seed: int = 0,
    design: str = "paired",
    clusters: Sequence[str] | None = None,
    confidence: float = 0.95,
) -> dict[int, Estimate]:
    """Share of tests on m prompts (all their samples) that reject at alpha, for each m, with the same design.

    The subsamples come from ONE dataset, so they overlap, and their rejection
    rate is mostly about this dataset: at m = n every subsample is the whole
    dataset. Treating the `repeats` tests as independent datasets (a Wilson
    interval on `repeats`) gave intervals that held the mean power over
    datasets in 12% of datasets at m = n (issue 31). Here each repeat is a
    random partition of the prompts into r = floor(n/m) disjoint blocks of m;
    the r blocks of one partition are independent tests on independent
    prompts, so the interval (`power_interval`) has r, not `repeats`, as its
    sample size, while averaging over partitions still lowers the
    Monte-Carlo noise of the point estimate. Estimate.n = r.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    codes = _check(x, y, design, clusters)
    prompts = np.unique(codes)
    smallest = 4 if design == "split" else 2
    sizes = [m for m in (sizes or [4, 8, 16, 32, 64, 128, 256]) if smallest <= m <= len(prompts)] or [len(prompts)]
    distances = _squared_distances(np.vstack([x, y]))
    n = len(x)
    rng = np.random.default_rng(seed)
    power = {}
    for m in sizes:
        blocks = len(prompts) // m
        rejections, tests = 0, 0
        for _ in range(max(1, math.ceil(repeats / blocks))):
            shuffled = rng.permutation(prompts)
            for block in range(blocks):
                rows = np.flatnonzero(np.isin(codes, shuffled[block * m : (block + 1) * m]))
                picks = np.concatenate([rows, n + rows])
                sub = distances[np.ix_(picks, picks)]
                rejections += _run(sub, codes[rows], len(rows), len(rows), design, permutations, rng).p_value < alpha
                tests += 1
        rate = rejections / tests
        low, high = power_interval(rate, blocks, confidence)
        power[m] = Estimate(mean=rate, low=low, high=high, n=blocks)
    return power
