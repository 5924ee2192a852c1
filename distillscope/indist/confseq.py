"""An anytime-valid confidence sequence for the advantage, read off at whatever time the test stops.

Values v_t ∈ [-1, 1] arrive one at a time (the per-prompt advantage score of
an adversary fitted on earlier prompts only). The predictable plug-in
empirical-Bernstein confidence sequence (Waudby-Smith & Ramdas 2024,
Theorem 2) holds, with probability ≥ 1 - α simultaneously for every t, the
λ-weighted running mean of the conditional means E[v_t | past]: the
advantage of the online adversary, averaged over the run. Its lower end
above 0 says an adversary with positive advantage exists; its upper end is
not a bound on what a better adversary could do.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from pydantic import BaseModel


class Interval(BaseModel):
    low: float
    high: float
    mean: float | None  # the λ-weighted mean the interval is centred on; None before any value
    n: int
    alpha: float


class ConfidenceSequence:
    """PrPl-EB on x = (v + 1) / 2 ∈ [0, 1]; intervals are intersected over time (still valid, never wider)."""

    def __init__(self, alpha: float = 0.05, cap: float = 0.5) -> None:
        if not 0 < alpha < 1:
            raise ValueError("alpha must be in (0, 1)")
        self.alpha = alpha
        self.cap = cap
        self.n = 0
        self._sum = 0.0  # Σ x
        self._sum_squares_dev = 0.0  # Σ (x_i - μ̂_i)²
        self._mean = 0.5  # μ̂_{t-1}
        self._variance = 0.25  # σ̂²_{t-1}
        self._weighted = 0.0  # Σ λ x
        self._weights = 0.0  # Σ λ
        self._penalty = 0.0  # Σ 4 (x - μ̂_{t-1})² ψ_E(λ)
        self._low, self._high = 0.0, 1.0

    def update(self, values: Iterable[float]) -> None:
        log_term = math.log(2 / self.alpha)
        for value in values:
            if not -1.0 <= value <= 1.0:
                raise ValueError(f"advantage scores must lie in [-1, 1], got {value}")
            x = (value + 1) / 2
            self.n += 1
            t = self.n
            lam = min(math.sqrt(2 * log_term / (self._variance * t * math.log(1 + t))), self.cap)
            psi = (-math.log(1 - lam) - lam) / 4
            self._weighted += lam * x
            self._weights += lam
            self._penalty += 4 * (x - self._mean) ** 2 * psi
            self._sum += x
            new_mean = (0.5 + self._sum) / (t + 1)
            self._sum_squares_dev += (x - new_mean) ** 2
            self._mean = new_mean
            self._variance = (0.25 + self._sum_squares_dev) / (t + 1)
            centre = self._weighted / self._weights
            margin = (log_term + self._penalty) / self._weights
            self._low = max(self._low, centre - margin)
            self._high = min(self._high, centre + margin)

    def interval(self) -> Interval:
        """The running interval on the advantage scale [-1, 1]."""
        mean = None if self.n == 0 else 2 * self._weighted / self._weights - 1
        low, high = 2 * self._low - 1, 2 * self._high - 1
        if low > high:  # the intersection emptied: only possible on the α event; report the point
            low = high = mean if mean is not None else 0.0
        return Interval(low=low, high=high, mean=mean, n=self.n, alpha=self.alpha)
