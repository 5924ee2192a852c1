"""Offline content-detail similarity: which numbers, names and key terms two answers share.

Two views, both deterministic:

- `content_term_f1`: the Dice/F1 overlap of the answers' key terms: numbers
  (normalised: "1,000" = "1000"), capitalised names, content words of three or
  more letters that are not English stop words, and for Chinese each pair of
  adjacent Han characters (Chinese has no spaces to split words on).
- `alignment_f1`: a BERTScore-style greedy alignment (Zhang et al. 2020): every
  token of one answer is matched to its most similar token of the other by
  cosine of contextual token embeddings; recall averages over the reference's
  tokens, precision over the candidate's, F1 combines them. With MiniLM token
  embeddings (`MiniLMTokens`) it credits paraphrase; `LexicalTokens` (word ids,
  exact match) is the model-free fallback used in tests.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from distillscope.lexical import tokenize
from distillscope.types import sha256_hex

if TYPE_CHECKING:
    from distillscope.metrics.embeddings import EmbeddingCache


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


_TERM = re.compile(
    r"(?P<number>(?<![\w.])\d+(?:[.,]\d+)*%?)"
    r"|(?P<word>[A-Za-z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*)"
    r"|(?P<han>[\u4e00-\u9fff]+)"
)


def key_terms_in_order(text: str) -> list[str]:
    """Numbers ("#1000"), names and content words (lower-cased) and Han bigrams, each once, in order of first appearance."""
    stop = _stop_words()
    seen: dict[str, None] = {}
    for match in _TERM.finditer(text or ""):
        if match.group("number"):
            seen.setdefault("#" + match.group("number").replace(",", "").rstrip("%"), None)
        elif match.group("word"):
            word = match.group("word").lower()
            # content words from three letters; capitalised names ("AI", "Go") from two
            if word not in stop and (len(word) >= 3 or match.group("word")[0].isupper() and len(word) >= 2):
                seen.setdefault(word, None)
        else:
            run = match.group("han")
            for i in range(max(1, len(run) - 1)):
                seen.setdefault(run[i : i + 2], None)
    return list(seen)


def key_terms(text: str) -> set[str]:
    return set(key_terms_in_order(text))


def content_term_f1(reference: str, candidate: str) -> float:
    a, b = key_terms(reference), key_terms(candidate)
    if not a and not b:
        return 1.0
    return 2 * len(a & b) / (len(a) + len(b))


class TokenSource(Protocol):
    """Per text, either unit-length token vectors (one row per token) or integer token ids (exact match only)."""

    name: str

    def token_vectors(self, texts: Sequence[str]) -> list[np.ndarray]: ...


class LexicalTokens:
    """Words as ids (the ROUGE tokeniser, CJK characters as words): greedy alignment becomes exact word match."""

    name = "lexical (exact word match)"

    def token_vectors(self, texts: Sequence[str]) -> list[np.ndarray]:
        tokens = [tokenize(t) for t in texts]
        vocabulary = {word: i for i, word in enumerate(sorted({w for ts in tokens for w in ts}))}
        return [np.array([vocabulary[w] for w in ts], dtype=np.int64) for ts in tokens]


@runtime_checkable
class ModelEmbedder(Protocol):
    """A sentence embedder that hands out its SentenceTransformer (`metrics.embeddings.Embedder`): its tokens can be read."""

    @property
    def name(self) -> str: ...

    def model(self) -> Any: ...


class MiniLMTokens:
    """Contextual token embeddings of the sentence embedder's model, long texts in windows, [CLS]/[SEP] dropped.

    Kept in memory per text, so a reference answer scored on every rung of the
    control ladder is encoded once.
    """

    def __init__(self, embedder: ModelEmbedder) -> None:
        self.embedder = embedder
        self.name = f"{embedder.name} token embeddings"
        self._memo: dict[str, np.ndarray] = {}

    def token_vectors(self, texts: Sequence[str]) -> list[np.ndarray]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if missing:
            model = self.embedder.model()
            tokenizer, window = model.tokenizer, model.max_seq_length - 2
            pieces, owners = [], []
            for text in missing:
                ids = tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"] or [tokenizer.unk_token_id]
                for start in range(0, len(ids), window):
                    pieces.append(tokenizer.decode(ids[start : start + window]))
                    owners.append(text)
            outputs = model.encode(pieces, output_value="token_embeddings", convert_to_numpy=False, show_progress_bar=False)
            parts: dict[str, list[np.ndarray]] = {}
            for text, output in zip(owners, outputs):
                vectors = output.detach().cpu().numpy().astype(np.float32)
                vectors = vectors[1:-1] if len(vectors) > 2 else vectors
                parts.setdefault(text, []).append(vectors)
            for text in missing:
                matrix = np.concatenate(parts[text])
                norms = np.linalg.norm(matrix, axis=1, keepdims=True)
                self._memo[text] = matrix / np.where(norms == 0, 1, norms)
        return [self._memo[t] for t in texts]


def greedy_alignment_f1(reference: np.ndarray, candidate: np.ndarray) -> float:
    """BERTScore F1 of two token-vector matrices (rows unit length), or of two token-id vectors."""
    if len(reference) == 0 or len(candidate) == 0:
        return 1.0 if len(reference) == len(candidate) else 0.0
    if reference.ndim == 1:  # token ids: a token aligns with an equal token or with nothing
        recall, precision = float(np.isin(reference, candidate).mean()), float(np.isin(candidate, reference).mean())
        return 0.0 if recall + precision <= 0 else 2 * precision * recall / (precision + recall)
    similarity = reference @ candidate.T
    recall = float(similarity.max(axis=1).mean())
    precision = float(similarity.max(axis=0).mean())
    return 0.0 if recall + precision <= 0 else 2 * precision * recall / (precision + recall)


def alignment_f1(
    source: TokenSource, references: Sequence[str], candidates: Sequence[str], cache: EmbeddingCache | None = None
) -> list[float]:
    """Per-pair alignment F1. With a cache (an `EmbeddingCache`) each pair's score is kept by
    sha256(source, reference, candidate), so a re-run loads no model: token matrices are too large to store."""

    keys = [sha256_hex(f"alignment-f1\x1f{source.name}\x1f{r}\x1f{c}") for r, c in zip(references, candidates)]
    found = {k: float(v[0]) for k, v in cache.get_many(keys).items()} if cache is not None else {}
    todo = [i for i, k in enumerate(keys) if k not in found]
    if todo:
        texts = [references[i] for i in todo] + [candidates[i] for i in todo]
        vectors = source.token_vectors(texts)
        # rounded to the cache's float32 so a first run and its cached re-run print the same numbers
        fresh = {keys[i]: float(np.float32(greedy_alignment_f1(vectors[j], vectors[len(todo) + j]))) for j, i in enumerate(todo)}
        if cache is not None:
            cache.put_many({k: np.array([v], dtype=np.float32) for k, v in fresh.items()})
        found.update(fresh)
    return [found[k] for k in keys]
