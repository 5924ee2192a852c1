"""The two noises a dose zoo's seed pairs measure, shared by the estimator's interval and the error budget.

Two students of one trained recipe (seeds) that answered the same prompts
differ by prompt noise (the standard error over prompts of their paired
difference, which more prompts shrink) and by training noise (the part of
their difference the prompts do not explain, mean(d^2) - mean(se^2), method
of moments clipped at 0; more prompts do not shrink it). One student's own
training deviation from its recipe's mean has variance training / 2.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from distillscope.degree.result import DoseObservation


class SeedNoise(NamedTuple):
    #: the recipes whose first two seeds were paired
    recipes: tuple[str, ...]
    n_prompts: int
    #: variance of one seed pair's difference split into its sources (measure units squared)
    prompt_variance: float
    training_variance: float


def seed_pairs(rows: Sequence[DoseObservation]) -> list[tuple[DoseObservation, DoseObservation]]:
    """Two students of one trained recipe with per-prompt values on the same prompts (the first two seeds)."""
    by_recipe: dict[str, list[DoseObservation]] = defaultdict(list)
    for r in rows:
        if r.budget > 0 and r.per_prompt:
            by_recipe[r.recipe].append(r)
    pairs = []
    for group in by_recipe.values():
        group = sorted(group, key=lambda r: r.seed)
        if len(group) >= 2 and len(group[0].per_prompt or []) == len(group[1].per_prompt or []):
            pairs.append((group[0], group[1]))
    return pairs


def seed_noise(rows: Sequence[DoseObservation]) -> SeedNoise | None:
    """Prompt and training variance of a seed pair's difference (None without two seed pairs of per-prompt values)."""
    pairs = seed_pairs(rows)
    if len(pairs) < 2:
        return None
    squared, variances = [], []
    for a, b in pairs:
        d = np.asarray(a.per_prompt, float) - np.asarray(b.per_prompt, float)
        squared.append(float(d.mean() ** 2))
        variances.append(float(d.var(ddof=1) / len(d)))
    prompt_var = float(np.mean(variances))
    recipes = tuple(a.recipe for a, _ in pairs)
    return SeedNoise(recipes, len(pairs[0][0].per_prompt or []), prompt_var, max(0.0, float(np.mean(squared)) - prompt_var))
