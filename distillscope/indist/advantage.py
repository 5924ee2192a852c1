"""Advantage of a per-response adversary, and how it grows with the number of queries q.

On a balanced test (every test prompt answered once by each model) the
adversary guesses "teacher" when its log-odds are positive. Per prompt the
pair scores v = [right on T's answer] + [right on S's answer] - 1, so the
advantage 2·acc - 1 is the mean of v and its bootstrap over prompts is the
interval (METHODS.md section 5). For q queries the adversary sums the
log-odds of q answers to q distinct prompts before guessing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from distillscope.metrics.stats import Estimate, bootstrap_mean


def _correct(log_odds: np.ndarray, teacher: bool) -> np.ndarray:
    """1 for a right guess, 0 for a wrong one, 0.5 for a tie at exactly 0."""
    sign = np.sign(log_odds) if teacher else -np.sign(log_odds)
    return (sign + 1) / 2


def per_prompt_scores(teacher_log_odds: np.ndarray, student_log_odds: np.ndarray) -> np.ndarray:
    return _correct(np.asarray(teacher_log_odds), True) + _correct(np.asarray(student_log_odds), False) - 1


def advantage(teacher_log_odds: np.ndarray, student_log_odds: np.ndarray, seed: int = 0) -> Estimate:
    return bootstrap_mean(per_prompt_scores(teacher_log_odds, student_log_odds).tolist(), seed=seed)


def advantage_by_group(teacher_log_odds: np.ndarray, student_log_odds: np.ndarray, groups: Sequence[str],
                       seed: int = 0) -> dict[str, Estimate]:
    scores = per_prompt_scores(teacher_log_odds, student_log_odds)
    buckets: dict[str, list[float]] = defaultdict(list)
    for value, group in zip(scores, groups):
        buckets[group].append(float(value))
    return {group: bootstrap_mean(values, seed=seed) for group, values in sorted(buckets.items())}


def q_values(n_prompts: int, largest: int = 64) -> list[int]:
    out, q = [], 1
    while q <= min(largest, n_prompts):
        out.append(q)
        q *= 2
    return out


def _group_advantage(lt: np.ndarray, ls: np.ndarray, pool: np.ndarray, q: int, groups: int, rng: np.random.Generator) -> float:
    """Mean pair score over random groups of q distinct positions of the pool."""
    picks = np.argsort(rng.random((groups, len(pool))), axis=1)[:, :q]
    members = pool[picks]
    return float(np.mean(_correct(lt[members].sum(axis=1), True) + _correct(ls[members].sum(axis=1), False) - 1))


def q_curve(teacher_log_odds: np.ndarray, student_log_odds: np.ndarray, qs: Sequence[int] | None = None, groups: int = 1000,
            resamples: int = 200, confidence: float = 0.95, seed: int = 0) -> dict[int, Estimate]:
    """Adv(q) with a bootstrap over prompts (each resample draws its own groups)."""
    lt, ls = np.asarray(teacher_log_odds, dtype=float), np.asarray(student_log_odds, dtype=float)
    n = len(lt)
    rng = np.random.default_rng(seed)
    curve = {}
    for q in qs or q_values(n):
        point = _group_advantage(lt, ls, np.arange(n), q, groups, rng)
        boot = [_group_advantage(lt, ls, rng.integers(0, n, n), q, max(50, groups // 10), rng) for _ in range(resamples)]
        tail = (1 - confidence) / 2 * 100
        low, high = np.percentile(boot, [tail, 100 - tail])
        curve[q] = Estimate(mean=point, low=float(min(low, point)), high=float(max(high, point)), n=n)
    return curve
