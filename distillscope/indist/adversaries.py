"""Learned adversaries: each is trained to tell teacher (label 1) from student (label 0) answers.

Every adversary returns log-odds log P(teacher | answer) / P(student | answer)
per answer, so one code path turns any of them into an advantage, a q-curve
and per-category numbers. Training and inference are timed: t in the
(ε, q, t, A) statement is measured seconds, not a guess. Text that an
embedding cache served costs no time here, so the embedding adversary charges
each cached text at the encoding rate it measures (`uncached_seconds`): t is the
adversary's compute, the same on a cold and on a warm store.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from distillscope.extras import require

if TYPE_CHECKING:
    from distillscope.protocols import TextEmbedder


class Adversary:
    """fit on labelled answers, then log_odds on new ones."""

    name = "adversary"
    description = ""

    def __init__(self) -> None:
        self.train_seconds = 0.0
        self.inference_seconds = 0.0
        self.extra_seconds = 0.0  # compute a cache saved (added) or timing overhead (taken out), settled after each call

    def _settle(self) -> float:
        extra, self.extra_seconds = self.extra_seconds, 0.0
        return extra

    def fit(self, texts: Sequence[str], labels: Sequence[int], groups: Sequence[str] | None = None) -> "Adversary":
        """Train; `groups` (the prompt id of each answer) keeps a prompt's answers in one inner-CV fold."""
        start = time.perf_counter()
        self._fit(list(texts), np.asarray(labels, dtype=int), None if groups is None else list(groups))
        self.train_seconds += max(0.0, time.perf_counter() - start + self._settle())
        return self

    def log_odds(self, texts: Sequence[str]) -> np.ndarray:
        start = time.perf_counter()
        values = np.asarray(self._log_odds(list(texts)), dtype=float)
        self.inference_seconds += max(0.0, time.perf_counter() - start + self._settle())
        return values

    def _fit(self, texts: list[str], labels: np.ndarray, groups: list[str] | None) -> None:
        raise NotImplementedError

    def _log_odds(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError


class FeatureLogisticAdversary(Adversary):
    """Features + L2 logistic regression (scikit-learn), its strength picked by 5-fold cross-validation on the train split.

    The decision function is the log-odds. Hand-made features are standardised;
    unit-length embeddings are not (scaling would blow up their near-constant dimensions).
    The inner folds are grouped by prompt (GroupKFold) when groups are given: a
    prompt's teacher and student answers share a topic, and splitting them across
    folds would reward telling topics apart instead of models.
    """

    def __init__(self, featurize: Callable[[list[str]], np.ndarray], scale: bool) -> None:
        super().__init__()
        self.featurize = featurize
        self.scale = scale
        self.pipeline: Any = None  # a scikit-learn Pipeline once fitted

    def _fit(self, texts: list[str], labels: np.ndarray, groups: list[str] | None) -> None:
        require("sklearn", purpose="the learned adversaries")
        from sklearn.linear_model import LogisticRegressionCV
        from sklearn.model_selection import GroupKFold
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        features = self.featurize(texts)
        folds = max(2, int(min(5, np.bincount(labels).min())))
        cv: int | list | None = folds
        if groups is not None:
            folds = min(folds, len(set(groups)))
            cv = list(GroupKFold(n_splits=folds).split(features, labels, groups)) if folds >= 2 else None
        # log loss, not accuracy, picks the strength: q-curves add these log-odds, so they must be calibrated
        if cv is None:  # a single prompt: nothing to cross-validate over, the default strength
            from sklearn.linear_model import LogisticRegression

            classifier = LogisticRegression(max_iter=5000)
        else:
            classifier = LogisticRegressionCV(Cs=np.logspace(-3, 3, 7), cv=cv, max_iter=5000, scoring="neg_log_loss")
        self.pipeline = make_pipeline(StandardScaler(), classifier) if self.scale else make_pipeline(classifier)
        from threadpoolctl import threadpool_limits

        # one BLAS thread: a fit is hundreds of tiny L-BFGS steps, and OpenBLAS threads that spin between them took
        # 2.7x the time beside one busy process (`distillscope demo`, cached: 26.3 s against 9.9 s)
        with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
            warnings.simplefilter("ignore", FutureWarning)  # scikit-learn's notice about its fitted attributes
            self.pipeline.fit(features, labels)

    def _log_odds(self, texts: list[str]) -> np.ndarray:
        return self.pipeline.decision_function(self.featurize(texts))


class StyleAdversary(FeatureLogisticAdversary):
    name = "style"
    description = "stylometric features + logistic regression"

    def __init__(self) -> None:
        from distillscope.metrics.stylometry import feature_matrix

        super().__init__(feature_matrix, scale=True)


class EmbeddingAdversary(FeatureLogisticAdversary):
    name = "embed"
    description = "sentence embeddings (all-MiniLM-L6-v2) + logistic regression"

    def __init__(self, embedder: TextEmbedder) -> None:
        super().__init__(self._embed, scale=False)
        self.embedder = embedder
        self._rate: float | None = None
        self.cached_texts = 0  # texts the embedding cache served (charged at the measured encoding rate)
        self.uncached_seconds = 0.0

    def _embed(self, texts: list[str]) -> np.ndarray:
        # a cached embedder (`metrics.embeddings.CachedEmbedder`, or any with `cache` and `encoded_texts`) says how
        # many texts it had to encode; others are charged nothing extra
        before: int | None = getattr(self.embedder, "encoded_texts", None)
        vectors = self.embedder.embed(texts)
        if before is not None and getattr(self.embedder, "cache", None) is not None:
            cached = len(set(texts)) - (getattr(self.embedder, "encoded_texts") - before)
            if cached > 0:
                self.cached_texts += cached
                charge = cached * self._seconds_per_text(texts)
                self.uncached_seconds += charge
                self.extra_seconds += charge
        return vectors

    def _seconds_per_text(self, texts: list[str]) -> float:
        """Encoding seconds per text, measured once on up to 16 of these texts with the cache bypassed.

        The measurement's own time is taken back out of t, and the model load is not timed. Where the embedder
        knows its rate on this host (a cached embedder keeps each encoding's), that is used and nothing is loaded:
        a re-run of a finished measurement then loads no model at all.
        """
        if self._rate is None:
            known = getattr(self.embedder, "known_rate", None)
            self._rate = known() if callable(known) else None
        if self._rate is None:
            import copy

            uncached = copy.copy(self.embedder)
            setattr(uncached, "cache", None)  # only called for an embedder with a cache (see `_embed`)
            sample = list(dict.fromkeys(texts))[:16]
            started = time.perf_counter()
            uncached.embed(sample[:1])  # loads the model if it is not loaded yet
            start = time.perf_counter()
            uncached.embed(sample)
            self._rate = (time.perf_counter() - start) / max(1, len(sample))
            self.extra_seconds -= time.perf_counter() - started
            record = getattr(getattr(self.embedder, "cache", None), "record_rate", None)
            if callable(record):  # the store's cache: the next run reads the rate instead of loading the model
                record(getattr(self.embedder, "name", "?"), self._rate, len(sample))
            if getattr(self.embedder, "_model", False) is None:  # share the loaded model instead of loading it twice
                setattr(self.embedder, "_model", getattr(uncached, "_model"))
        return self._rate
