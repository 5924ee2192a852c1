"""Simulated control ladders with the structure real ones have, for checking the validity rule (`make calibrate`).

Every ladder prompt i has a strong prompt effect u_i (the reference answer's
length, topic, register...) that moves all three of its rungs together; the
resample rung sits `gap` above the other-prompt rung, each with its own noise:

    self_i = u_i + 3 + e,   resample_i = u_i + gap + e',   other_i = u_i + e''

The pooled AUC the ladder computes compares rung-2 and rung-3 scores of
*different* prompts, so its true value is Φ(gap / sqrt(2·(prompt² + noise²)));
`gap_for_auc` inverts that, so a simulation can ask for a measure whose true
AUC is exactly 0.75 or 0.85. The within-prompt AUC (does rung 2 beat rung 3 on
the same prompt?) is Φ(gap / (noise·√2)).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

PROMPT_SD = 1.0  # the per-prompt effect: as large as everything else together
NOISE_SD = 0.5


def gap_for_auc(auc: float, prompt_sd: float = PROMPT_SD, noise_sd: float = NOISE_SD) -> float:
    """The rung-2 minus rung-3 gap that gives a pooled (between-prompt) AUC of `auc`."""
    return float(norm.ppf(auc) * np.sqrt(2 * (prompt_sd**2 + noise_sd**2)))


def within_prompt_auc(gap: float, noise_sd: float = NOISE_SD) -> float:
    return float(norm.cdf(gap / (noise_sd * np.sqrt(2))))


def simulate_rungs(
    rng: np.random.Generator, n: int, auc: float, prompt_sd: float = PROMPT_SD, noise_sd: float = NOISE_SD, gap: float | None = None
) -> tuple[list[float], list[float], list[float]]:
    """(self, resample, other_prompt) scores of one simulated ladder of `n` prompts."""
    gap = gap_for_auc(auc, prompt_sd, noise_sd) if gap is None else gap
    prompt = rng.normal(0.0, prompt_sd, n)
    self_scores = prompt + 3.0 + rng.normal(0.0, noise_sd, n)
    resample = prompt + gap + rng.normal(0.0, noise_sd, n)
    other = prompt + rng.normal(0.0, noise_sd, n)
    return self_scores.tolist(), resample.tolist(), other.tolist()


def ladder_decisions(auc: float, n: int, datasets: int, seed: int = 0, resamples: int = 1000, **shape: float) -> dict[str, float]:
    """Share of simulated ladders the validity rule calls valid / invalid / undecided, and the interval's coverage."""
    from distillscope.controls.ladder import measure_control

    counts = {"valid": 0, "invalid": 0, "undecided": 0}
    covered = 0
    for i in range(datasets):
        rng = np.random.default_rng([seed, n, int(auc * 1000), i])
        self_scores, resample, other = simulate_rungs(rng, n, auc, **shape)
        control = measure_control("sim", self_scores, resample, other, [True] * n, seed=i, resamples=resamples)
        counts[control.status] += 1
        interval = control.auc_resample_vs_other
        covered += interval is not None and interval.covers(auc)
    return {**{k: v / datasets for k, v in counts.items()}, "coverage": covered / datasets}


def misclassification(auc: float, n: int, datasets: int, seed: int = 0, threshold: float = 0.8, resamples: int = 1000) -> float:
    """How often the rule gets a measure of true AUC `auc` wrong: VALID below the threshold, INVALID above it."""
    shares = ladder_decisions(auc, n, datasets, seed, resamples)
    if auc < threshold:
        return shares["valid"]
    if auc > threshold:
        return shares["invalid"]
    return 0.0


def point_rule_misclassification(auc: float, n: int, datasets: int, seed: int = 0, threshold: float = 0.8) -> float:
    """The same error rate for the old rule (the point AUC against the threshold), for the table's comparison."""
    from distillscope.controls.ladder_auc import auc_with_ci

    wrong = 0
    for i in range(datasets):
        rng = np.random.default_rng([seed, n, int(auc * 1000), i])
        _, resample, other = simulate_rungs(rng, n, auc)
        point = auc_with_ci(resample, other, resamples=2, paired=False).mean  # the old estimator kept each prompt's own pair
        wrong += point is not None and ((point >= threshold) if auc < threshold else (point < threshold))
    return wrong / datasets
