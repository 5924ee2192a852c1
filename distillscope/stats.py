"""Means with bootstrap confidence intervals, overall and per group.

Every number distillscope prints comes with an interval and the count it
rests on, so a reader can tell a difference from noise.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel


class Estimate(BaseModel):
    mean: float | None
    low: float | None
    high: float | None
    n: int
    #: why there is no interval (or no estimate) where one was expected, e.g. "all n = 40 equal (degenerate); no interval"
    status: str | None = None

    def fmt(self, digits: int = 3) -> str:
        """`mean [low, high]`, or the mean with why there is no interval: a point interval is never printed as exact."""
        if self.mean is None:
            return f"n/a ({self.status})" if self.status else "n/a"
        if self.low is None or self.high is None:
            return f"{self.mean:.{digits}f} ({self.status or f'n = {self.n}; no interval'})"
        if self.low == self.high:  # older results (and any collapsed resampling) stored [x, x]
            why = (
                self.status
                if self.status and "no interval" in self.status
                else f"n = {self.n}: the interval collapsed to a point; no interval"
            )
            return f"{self.mean:.{digits}f} ({why})"
        return f"{self.mean:.{digits}f} [{self.low:.{digits}f}, {self.high:.{digits}f}]"

    def covers(self, value: float) -> bool:
        """Whether the interval holds `value` (False where there is no interval): a coverage check's hit."""
        return self.low is not None and self.high is not None and self.low <= value <= self.high

    def has_interval(self) -> bool:
        """True when low and high are a real interval (not missing, not a collapsed point)."""
        return self.low is not None and self.high is not None and self.low != self.high


#: the two-sided 95% normal quantile: a 95% interval's half-width over it is the standard error it implies
Z95 = 1.959964


def se_from_interval(low: float | None, high: float | None) -> float:
    """The standard error a symmetric 95% interval implies (0 without an interval: nothing known of the spread)."""
    return 0.0 if low is None or high is None else (high - low) / (2 * Z95)


def no_interval_status(values: np.ndarray) -> str:
    """Why a set of values gives no bootstrap interval: fewer than two, or all equal (the resamples collapse)."""
    if len(values) < 2:
        return f"n = {len(values)}: no interval"
    return f"all n = {len(values)} equal (degenerate); no interval"


def bootstrap_mean(values: Sequence[float], seed: int = 0, resamples: int = 2000, confidence: float = 0.95) -> Estimate:
    """Mean with a percentile bootstrap interval (scipy); no interval below two values."""
    data = np.asarray([v for v in values if v is not None and not np.isnan(v)], dtype=float)
    if len(data) == 0:
        return Estimate(mean=None, low=None, high=None, n=0)
    mean = float(data.mean())
    if len(data) < 2 or np.all(data == data[0]):
        # never [mean, mean]: a bootstrap of equal values collapses to a point, which would read as exact
        return Estimate(mean=mean, low=None, high=None, n=len(data), status=no_interval_status(data))
    from scipy.stats import bootstrap

    result = bootstrap(
        (data,),
        np.mean,
        confidence_level=confidence,
        n_resamples=resamples,
        method="percentile",
        random_state=np.random.default_rng(seed),
        vectorized=True,
    )
    return Estimate(mean=mean, low=float(result.confidence_interval.low), high=float(result.confidence_interval.high), n=len(data))


def grouped(values: Sequence[float], groups: Sequence[str], seed: int = 0) -> dict[str, Estimate]:
    """One estimate per group label, sorted by label."""
    buckets: dict[str, list[float]] = defaultdict(list)
    for value, group in zip(values, groups):
        buckets[group].append(value)
    return {group: bootstrap_mean(buckets[group], seed=seed) for group in sorted(buckets)}


def proportion(successes: int, n: int, confidence: float = 0.95) -> Estimate:
    """A rate with its Wilson interval, which stays honest at 0 or n successes where a bootstrap collapses."""
    if n == 0:
        return Estimate(mean=None, low=None, high=None, n=0)
    from scipy.stats import binomtest

    interval = binomtest(successes, n).proportion_ci(confidence_level=confidence, method="wilson")
    return Estimate(mean=successes / n, low=float(interval.low), high=float(interval.high), n=n)


def wilson_interval(rate: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson's score interval for a rate observed over `n` (possibly effective, non-integer) independent trials.

    For a fixed n both bounds rise with the rate, so an interval built on an n
    that does not depend on the successes is monotone in them.
    """
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + confidence / 2))
    centre = (rate + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, float(centre - half)), min(1.0, float(centre + half))


def cluster_means(values: Sequence[float], clusters: Sequence[str] | None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Per-cluster sums and counts of `values` (one cluster per row when `clusters` is None), in first-seen order."""
    data = np.asarray(values, dtype=float)
    if clusters is None:
        return data, np.ones(len(data)), [str(i) for i in range(len(data))]
    index: dict[str, int] = {}
    codes = np.asarray([index.setdefault(c, len(index)) for c in clusters], dtype=int)
    return np.bincount(codes, data, len(index)), np.bincount(codes, None, len(index)).astype(float), list(index)


def cluster_bootstrap(
    values: Sequence[float],
    clusters: Sequence[str] | None = None,
    seed: int = 0,
    resamples: int = 2000,
    confidences: Sequence[float] = (0.95,),
) -> tuple[Estimate, dict[float, tuple[float | None, float | None]]]:
    """Mean of the rows with percentile intervals from resampling whole clusters (prompts) with replacement.

    Rows of one cluster (several answers to one prompt) are not independent, so
    the unit of resampling is the cluster; with one row per cluster this is the
    ordinary bootstrap. The returned dict holds (low, high) per confidence level,
    so a simultaneous (Bonferroni) interval comes from the same resamples as the
    95% one. No interval is claimed below two clusters or when every row has
    the same value (the bootstrap would collapse to a point): `status` says why.
    """
    sums, counts, _ = cluster_means(values, clusters)
    rows = int(counts.sum())
    none: dict[float, tuple[float | None, float | None]] = {c: (None, None) for c in confidences}
    if rows == 0:
        return Estimate(mean=None, low=None, high=None, n=0, status="no data"), none
    data = np.asarray(values, dtype=float)
    mean = float(data.mean())
    if len(sums) < 2:
        return Estimate(mean=mean, low=None, high=None, n=len(sums), status=f"{len(sums)} prompt: no interval"), none
    if np.all(data == data[0]):
        return Estimate(mean=mean, low=None, high=None, n=len(sums), status=f"all n = {rows} equal (degenerate); no interval"), none
    draws = resample_means(sums, counts, seed, resamples)
    intervals: dict[float, tuple[float | None, float | None]] = {c: percentile_interval(draws, c) for c in confidences}
    low, high = intervals[confidences[0]]
    return Estimate(mean=mean, low=low, high=high, n=len(sums)), intervals


def resample_means(sums: np.ndarray, counts: np.ndarray, seed: int, resamples: int) -> np.ndarray:
    """Bootstrap distribution of the row mean when clusters are drawn with replacement."""
    rng = np.random.default_rng(seed)
    out = np.empty(resamples)
    chunk = max(1, 2_000_000 // max(1, len(sums)))
    for start in range(0, resamples, chunk):
        picks = rng.integers(0, len(sums), (min(chunk, resamples - start), len(sums)))
        out[start : start + len(picks)] = sums[picks].sum(axis=1) / counts[picks].sum(axis=1)
    return out


def percentile_interval(draws: np.ndarray, confidence: float) -> tuple[float, float]:
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return float(low), float(high)


def paired_difference(
    before: dict[str, float], after: dict[str, float], seed: int = 0, resamples: int = 2000, confidence: float = 0.95
) -> Estimate:
    """Δ = mean(after − before) over the prompts both sides scored, with a bootstrap over those prompts.

    Keys are prompt ids (several values per prompt may be pre-averaged by the
    caller). The pairing removes the prompt effect that two separate intervals
    keep, so a change is judged against its own noise (METHODS.md section 7).
    """
    common = [key for key in after if key in before]
    if not common:
        return Estimate(mean=None, low=None, high=None, n=0, status="no prompt scored on both sides")
    diffs = [after[key] - before[key] for key in common]
    estimate, _ = cluster_bootstrap(diffs, None, seed=seed, resamples=resamples, confidences=(confidence,))
    return estimate
