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

    def fmt(self, digits: int = 3) -> str:
        if self.mean is None:
            return "n/a"
        if self.low is None or self.high is None:
            return f"{self.mean:.{digits}f} (n={self.n})"
        return f"{self.mean:.{digits}f} [{self.low:.{digits}f}, {self.high:.{digits}f}]"


def bootstrap_mean(values: Sequence[float], seed: int = 0, resamples: int = 2000, confidence: float = 0.95) -> Estimate:
    """Mean with a percentile bootstrap interval (scipy); no interval below two values."""
    data = np.asarray([v for v in values if v is not None and not np.isnan(v)], dtype=float)
    if len(data) == 0:
        return Estimate(mean=None, low=None, high=None, n=0)
    mean = float(data.mean())
    if len(data) < 2 or np.all(data == data[0]):
        return Estimate(mean=mean, low=mean if len(data) > 1 else None, high=mean if len(data) > 1 else None, n=len(data))
    from scipy.stats import bootstrap

    result = bootstrap(
        (data,), np.mean, confidence_level=confidence, n_resamples=resamples, method="percentile",
        random_state=np.random.default_rng(seed), vectorized=True,
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
