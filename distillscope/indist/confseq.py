"""An anytime-valid confidence sequence for the ONLINE adversaries' average advantage, read off whenever the test stops.

Values v_t ∈ [-1, 1] arrive one at a time (the per-prompt advantage score of
an adversary fitted on earlier prompts only, refitted before every batch).
The predictable plug-in empirical-Bernstein confidence sequence
(Waudby-Smith & Ramdas 2024, Theorem 2 with time-varying conditional means)
holds, with probability ≥ 1 - α simultaneously for every t,

    Σ_{i≤t} λ_i·a_i / Σ_{i≤t} λ_i,   a_i = E[v_i | past] = the advantage of the adversary that scored pair i,

the λ-weighted average of the online adversaries' advantages. The adversary
improves as it sees more pairs, so this average is dominated by the weak
early adversaries and lies below the last adversary's advantage: the upper
end is NOT a bound on the final (or any better) adversary's advantage (with
an adversary improving to 0.60 it falls below 0.60 in about half the runs;
3 in 4 while it was intersected over time, issue 31). Its lower end above 0 says that some online adversary, hence an
adversary, has a positive advantage.

The target moves with t, so intervals are NOT intersected over time (the
running intersection of Waudby-Smith & Ramdas is valid for one fixed mean;
with a drifting target it cut the upper end below the current one).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from pydantic import BaseModel


class Interval(BaseModel):
    low: float
    high: float
    mean: float | None  # the λ-weighted mean of the scores the interval is centred on; None before any value
    n: int
    alpha: float


class ConfidenceSequence:
    """PrPl-EB on x = (v + 1) / 2 ∈ [0, 1]; `weights` keeps each λ_t so a simulation can compute the covered average."""

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
        self.weights: list[float] = []  # λ_t per value: the covered quantity is Σ λ_t a_t / Σ λ_t

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
            self.weights.append(lam)
            self._penalty += 4 * (x - self._mean) ** 2 * psi
            self._sum += x
            new_mean = (0.5 + self._sum) / (t + 1)
            self._sum_squares_dev += (x - new_mean) ** 2
            self._mean = new_mean
            self._variance = (0.25 + self._sum_squares_dev) / (t + 1)
            centre = self._weighted / self._weights
            margin = (log_term + self._penalty) / self._weights
            self._low = max(0.0, centre - margin)
            self._high = min(1.0, centre + margin)

    def interval(self) -> Interval:
        """The running interval on the advantage scale [-1, 1]."""
        mean = None if self.n == 0 else 2 * self._weighted / self._weights - 1
        low, high = 2 * self._low - 1, 2 * self._high - 1
        return Interval(low=low, high=high, mean=mean, n=self.n, alpha=self.alpha)
