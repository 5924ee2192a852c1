"""Learned adversaries: each is trained to tell teacher (label 1) from student (label 0) answers.

Every adversary returns log-odds log P(teacher | answer) / P(student | answer)
per answer, so one code path turns any of them into an advantage, a q-curve
and per-category numbers. Training and inference are timed: t in the
(ε, q, t, A) statement is measured seconds, not a guess.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence

import numpy as np

from distillscope.extras import require


class Adversary:
    """fit on labelled answers, then log_odds on new ones."""

    name = "adversary"
    description = ""

    def __init__(self) -> None:
        self.train_seconds = 0.0
        self.inference_seconds = 0.0

    def fit(self, texts: Sequence[str], labels: Sequence[int]) -> "Adversary":
        start = time.perf_counter()
        self._fit(list(texts), np.asarray(labels, dtype=int))
        self.train_seconds += time.perf_counter() - start
        return self

    def log_odds(self, texts: Sequence[str]) -> np.ndarray:
        start = time.perf_counter()
        values = np.asarray(self._log_odds(list(texts)), dtype=float)
        self.inference_seconds += time.perf_counter() - start
        return values

    def _fit(self, texts: list[str], labels: np.ndarray) -> None:
        raise NotImplementedError

    def _log_odds(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError


class FeatureLogisticAdversary(Adversary):
    """Features + L2 logistic regression (scikit-learn), its strength picked by 5-fold cross-validation on the train split.

    The decision function is the log-odds. Hand-made features are standardised;
    unit-length embeddings are not (scaling would blow up their near-constant dimensions).
    """

    def __init__(self, featurize: Callable[[list[str]], np.ndarray], scale: bool) -> None:
        super().__init__()
        self.featurize = featurize
        self.scale = scale
        self.pipeline = None

    def _fit(self, texts: list[str], labels: np.ndarray) -> None:
        require("sklearn", purpose="the learned adversaries")
        from sklearn.linear_model import LogisticRegressionCV
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        folds = int(min(5, np.bincount(labels).min()))
        # log loss, not accuracy, picks the strength: q-curves add these log-odds, so they must be calibrated
        classifier = LogisticRegressionCV(Cs=np.logspace(-3, 3, 7), cv=max(2, folds), max_iter=5000, scoring="neg_log_loss")
        self.pipeline = make_pipeline(StandardScaler(), classifier) if self.scale else make_pipeline(classifier)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # scikit-learn's notice about its fitted attributes
            self.pipeline.fit(self.featurize(texts), labels)

    def _log_odds(self, texts: list[str]) -> np.ndarray:
        return self.pipeline.decision_function(self.featurize(texts))


class StyleAdversary(FeatureLogisticAdversary):
    name = "style"
    description = "stylometric features + logistic regression"

    def __init__(self) -> None:
        from distillscope.indist.features import feature_matrix

        super().__init__(feature_matrix, scale=True)


class EmbeddingAdversary(FeatureLogisticAdversary):
    name = "embed"
    description = "sentence embeddings (all-MiniLM-L6-v2) + logistic regression"

    def __init__(self, embedder) -> None:  # noqa: ANN001 - anything with .embed(texts) -> array
        super().__init__(lambda texts: embedder.embed(texts), scale=False)
