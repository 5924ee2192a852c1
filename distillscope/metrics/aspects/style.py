"""Offline style similarity: how alike two answers' stylometric profiles are.

The profile is the stylometric adversary's own feature vector
(`metrics/stylometry.py`: length, markdown habits, punctuation rates, hedges,
refusals, openers, ...). Features live on very different scales, so each is
compared by its relative difference |a - b| / (|a| + |b|) (the Canberra
term), averaged over the features present in either answer (a habit neither
answer shows says nothing about their likeness). It needs no corpus
statistics, so a pair's score never depends on which other pairs are scored
with it.
"""

from __future__ import annotations

import numpy as np

from distillscope.metrics.stylometry import style_features


def style_profile(text: str) -> np.ndarray:
    return np.asarray(style_features(text), dtype=float)


def style_similarity(reference: str, candidate: str) -> float:
    """1 - mean Canberra term over the features present in either: 1 for equal profiles, 0 when every one differs fully."""
    a, b = style_profile(reference), style_profile(candidate)
    total = np.abs(a) + np.abs(b)
    present = total > 0
    if not present.any():
        return 1.0
    return float(1.0 - (np.abs(a - b)[present] / total[present]).mean())
