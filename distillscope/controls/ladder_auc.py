"""The control ladder's AUCs: how often one rung's scores beat another's, with intervals over prompts.

Kept apart from the ladder's decisions (ladder.py) because these are plain
statistics of two score lists, with no notion of rungs, thresholds or
measures: the ladder, the judges' own controls (judges.py) and the calibration
simulations (calibration/ladder_sim.py) all call them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from distillscope.stats import Estimate, proportion

__all__ = ["auc_with_ci", "within_prompt_auc"]


def auc_with_ci(
    positive: Sequence[float | None],
    negative: Sequence[float | None],
    seed: int = 0,
    resamples: int = 2000,
    confidence: float = 0.95,
    paired: bool = True,
) -> Estimate:
    """AUC = P(positive > negative) + P(tie) / 2 (Mann-Whitney), with a percentile bootstrap over prompts.

    `positive[i]` and `negative[i]` belong to the same prompt, so a bootstrap
    draw takes or leaves both together, and (`paired`) a prompt's positive is
    never compared with its own negative: those two share the prompt's effect,
    so keeping them would pull the AUC towards the within-prompt one (about
    0.01 at 20 prompts) and the interval would cover less than it says.
    None (unscored) entries are left out. Unpaired sets (paired=False) compare
    every positive with every negative.
    """
    pos = np.array([np.nan if v is None else v for v in positive], dtype=float)
    neg = np.array([np.nan if v is None else v for v in negative], dtype=float)
    has_pos, has_neg = ~np.isnan(pos), ~np.isnan(neg)
    n = int((has_pos | has_neg).sum())
    if not has_pos.any() or not has_neg.any():
        return Estimate(mean=None, low=None, high=None, n=n)
    # wins[i, j]: how prompt i's positive score fares against prompt j's negative score
    wins = np.where(pos[:, None] > neg[None, :], 1.0, np.where(pos[:, None] == neg[None, :], 0.5, 0.0))
    wins[~has_pos, :] = 0.0
    wins[:, ~has_neg] = 0.0
    mask_pos, mask_neg = has_pos.astype(float), has_neg.astype(float)
    own = mask_pos * mask_neg if paired else np.zeros(len(pos))  # a prompt against itself: left out when paired
    if paired:
        np.fill_diagonal(wins, 0.0)
    pairs = mask_pos.sum() * mask_neg.sum() - own.sum()
    if pairs <= 0:
        return Estimate(mean=None, low=None, high=None, n=n, status="no positive and negative from different prompts")
    auc = float(mask_pos @ wins @ mask_neg / pairs)
    if n < 2:
        return Estimate(mean=auc, low=None, high=None, n=n)
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(len(pos), np.full(len(pos), 1 / len(pos)), size=resamples).astype(float)
    weight_pos, weight_neg = counts * mask_pos, counts * mask_neg
    denominator = weight_pos.sum(axis=1) * weight_neg.sum(axis=1) - (counts**2 * own).sum(axis=1)
    numerator = np.einsum("bi,ij,bj->b", weight_pos, wins, weight_neg)
    draws = numerator[denominator > 0] / denominator[denominator > 0]
    tail = (1 - confidence) / 2 * 100
    return Estimate(mean=auc, low=float(np.percentile(draws, tail)), high=float(np.percentile(draws, 100 - tail)), n=n)


def within_prompt_auc(positive: Sequence[float | None], negative: Sequence[float | None]) -> Estimate:
    """P(positive > negative) on the same prompt (ties half), with a Wilson interval over the prompts scored on both."""

    pairs = [(p, q) for p, q in zip(positive, negative) if p is not None and q is not None]
    if not pairs:
        return Estimate(mean=None, low=None, high=None, n=0, status="no prompt scored on both rungs")
    wins = sum(1.0 if p > q else 0.5 if p == q else 0.0 for p, q in pairs)
    interval = proportion(int(round(wins)), len(pairs))
    return Estimate(mean=wins / len(pairs), low=interval.low, high=interval.high, n=len(pairs))
