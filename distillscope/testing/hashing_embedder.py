"""A fast stand-in for the sentence embedder in tests: hashed word uni- and bigrams, unit length.

It has the one method the metrics use (`embed(texts) -> array`) and needs no
model files, so adversary and two-sample tests run in milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class HashingEmbedder:
    name = "hashing-test-embedder"

    def __init__(self, dimensions: int = 2048) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer

        self.vectorizer = HashingVectorizer(n_features=dimensions, ngram_range=(1, 2), alternate_sign=False, norm="l2")
        self.encoded_texts = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded_texts += len(texts)
        return self.vectorizer.transform(list(texts)).toarray().astype(np.float32)
