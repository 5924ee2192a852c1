"""Feature-level simulation of paired answers, for the sequential test's calibration and power without any model.

The shape is the real one (METHODS.md section 7): each prompt moves both
answers' features a lot (a per-prompt effect), the models differ by a much
smaller shift, and each answer adds its own noise. Under the null both
answers to a prompt are drawn from one pool of one model's samples, so they
are exchangeable given the prompt. The same `SequentialTest` as the real
runs is fed, only `reveal()` hands over simulated pairs instead of asking
models.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel

from distillscope.indist.betting import WitnessFitter
from distillscope.indist.sequential import SequentialSettings, SequentialTest, batch_sizes
from distillscope.indist.witness import PairObservation

RULES = ("first crossing", "at max", "random time")


def paired_features(
    n: int, dim: int, rng: np.random.Generator, effect: float = 0.0, prompt_scale: float = 3.0, noise: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Teacher and student features for n prompts; the student is shifted by `effect` along one random direction."""
    prompt = rng.normal(0.0, prompt_scale, (n, dim))
    direction = rng.normal(size=dim)
    direction /= np.linalg.norm(direction)
    teacher = prompt + noise * rng.normal(size=(n, dim))
    student = prompt + effect * direction + noise * rng.normal(size=(n, dim))
    return teacher, student


def null_pairs_from_pool(pool: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two distinct samples per prompt from one model's pool (prompts x samples x dim): one per arm."""
    n, samples = pool.shape[:2]
    first = rng.integers(0, samples, n)
    second = (first + rng.integers(1, samples, n)) % samples
    return pool[np.arange(n), first], pool[np.arange(n), second]


def sample_pool(n: int, samples: int, dim: int, rng: np.random.Generator, prompt_scale: float = 3.0, noise: float = 1.0) -> np.ndarray:
    """One model's `samples` answers (features) to each of n prompts, as at temperature > 0."""
    prompt = rng.normal(0.0, prompt_scale, (n, 1, dim))
    return prompt + noise * rng.normal(size=(n, samples, dim))


def run_on_pairs(
    teacher: np.ndarray,
    student: np.ndarray,
    settings: SequentialSettings,
    fit_witness: WitnessFitter | None = None,
    stop_at_rejection: bool = False,
) -> SequentialTest:
    """The sequential test on precomputed pairs, batch by batch up to max_queries (or the first rejection)."""
    sequential = SequentialTest(settings, fit_witness)
    start = 0
    for size in batch_sizes(settings, min(len(teacher), settings.max_queries)):
        stop = start + size

        def reveal(start: int = start, stop: int = stop) -> list[PairObservation]:
            return [PairObservation.of(teacher[i], student[i]) for i in range(start, stop)]

        sequential.step(reveal, stop)
        start = stop
        if stop_at_rejection and sequential.rejected:
            break
    return sequential


class RuleRate(BaseModel):
    rule: str
    rejections: int
    runs: int
    rate: float
    allowed: float  # α plus Monte Carlo slack (one-sided 99%: 2.33 binomial standard errors)


def rejection_rates(runs: Sequence[SequentialTest], alpha: float, seed: int = 0) -> list[RuleRate]:
    """How often each stopping rule rejects: first crossing of 1/α, the wealth at the budget, the wealth at a random batch."""
    rng = np.random.default_rng(seed)
    threshold = math.log(1 / alpha)
    counts = dict.fromkeys(RULES, 0)
    for run in runs:
        log_wealth = [math.log(point.wealth) for point in run.trajectory]
        counts["first crossing"] += run.rejected
        counts["at max"] += log_wealth[-1] >= threshold
        counts["random time"] += log_wealth[int(rng.integers(0, len(log_wealth)))] >= threshold
    slack = 2.33 * math.sqrt(alpha * (1 - alpha) / max(1, len(runs)))
    return [
        RuleRate(rule=rule, rejections=count, runs=len(runs), rate=count / max(1, len(runs)), allowed=alpha + slack)
        for rule, count in counts.items()
    ]
