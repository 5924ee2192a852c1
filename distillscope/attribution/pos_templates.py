"""Part-of-speech templates: a model's syntactic habits, as in *Who Taught You That?* (Wadhwa et al., ACL 2025).

Each answer becomes a sequence of universal POS tags per sentence (words by
the offline averaged-perceptron tagger of `denckring-en-pos`, trained on UD
English-EWT and shipped inside its wheel as a JSON table: nothing is
downloaded; numbers, punctuation and symbols are tagged here by their
characters, since that tagger reads words only). A *template* is a tag n-gram
(n = 4..6) inside one sentence. A model's profile is the share of its answers
that use each template, over a vocabulary of the templates frequent in any
model of the pool (candidates and base).

Shared syntax (DET NOUN ADP DET ...) is in every profile, so profiles are
centred on the pool's mean before comparing: the closeness of X to T is the
cosine of their centred profiles, which weighs the habits that tell models
apart. The margin against the base is bootstrapped over the prompts all three
answered.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from distillscope.attribution.answers import AnswerTable
from distillscope.attribution.result import SignalScore
from distillscope.stats import Estimate, percentile_interval

N_RANGE = (4, 5, 6)
TOP_PER_MODEL = 300  # most frequent templates each model adds to the vocabulary
RESAMPLES = 500

_SENTENCE = re.compile(r"(?<=[.!?:;])\s+|\n+")
_TOKEN = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*|\d+(?:[.,]\d+)*|[^\W\d_]+|[^\w\s]")
_SYMBOL = set("#*+-=<>|/\\^~_`@$%&")


@lru_cache(maxsize=1)
def _tagger() -> Any:
    """The optional package's tagger (untyped: it ships no annotations)."""
    from distillscope.extras import require

    module = require("denckring_en_pos", purpose="part-of-speech templates")
    return module.tagger()


def tag_sentence(tokens: Sequence[str]) -> list[str]:
    """Universal POS tags: English words by the tagger, the rest by their characters."""
    words = [t for t in tokens if t[0].isascii() and t[0].isalpha()]
    tagged = iter(label.partition("|")[0] for label in (_tagger().tag(words) if words else []))
    tags = []
    for token in tokens:
        if token[0].isascii() and token[0].isalpha():
            tags.append(next(tagged))
        elif token[0].isdigit():
            tags.append("NUM")
        elif token[0].isalpha():  # a word in another script (Chinese, Cyrillic, ...): no English reading
            tags.append("X")
        else:
            tags.append("SYM" if token in _SYMBOL else "PUNCT")
    return tags


def tag_text(text: str) -> list[list[str]]:
    """One tag sequence per sentence (or line)."""
    return [tag_sentence(tokens) for part in _SENTENCE.split(text) if (tokens := _TOKEN.findall(part))]


def templates(text: str, sizes: Sequence[int] = N_RANGE) -> set[tuple[str, ...]]:
    """The distinct tag n-grams of an answer, none crossing a sentence boundary."""
    out: set[tuple[str, ...]] = set()
    for tags in tag_text(text):
        for n in sizes:
            out.update(tuple(tags[i : i + n]) for i in range(len(tags) - n + 1))
    return out


class TemplateProfiles:
    """Template sets of every answer in the table (computed once), profiles and their closeness."""

    def __init__(self, table: AnswerTable) -> None:
        self.table = table
        self._sets: dict[str, list[set | None]] = {}
        self._centres: dict[tuple, tuple[dict, np.ndarray]] = {}

    def sets(self, name: str) -> list[set | None]:
        if name not in self._sets:
            self._sets[name] = [None if a is None else templates(a) for a in self.table.answers[name]]
        return self._sets[name]

    def _matrix(self, name: str, rows: Sequence[int] | np.ndarray, vocabulary: dict) -> np.ndarray:
        sets = self.sets(name)
        out = np.zeros((len(rows), len(vocabulary)))
        for r, i in enumerate(rows):
            for template in sets[i] or ():
                if (column := vocabulary.get(template)) is not None:
                    out[r, column] = 1.0
        return out

    def vocabulary(self, pool: Sequence[str]) -> dict:
        chosen: set = set()
        for name in pool:
            counts = Counter(t for s in self.sets(name) if s for t in s)
            # ties broken by the template itself: most_common keeps first-seen order, and a set's order follows
            # the process's string hashing, so the vocabulary (and every POS number) changed from run to run
            ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
            chosen.update(t for t, _ in ranked[:TOP_PER_MODEL])
        return {t: i for i, t in enumerate(sorted(chosen))}

    def _setup(self, student: str, base: str | None, candidate: str, pool: Sequence[str]) -> tuple:
        """(rows all three answered, S's, T's and B's template matrices over them, the pool's centre)."""
        pool = tuple(dict.fromkeys([*pool, *([base] if base else [])]))
        if pool not in self._centres:
            vocabulary = self.vocabulary(pool)
            centre = np.mean([self._matrix(m, self.table.rows(m), vocabulary).mean(axis=0) for m in pool], axis=0)
            self._centres[pool] = (vocabulary, centre)
        vocabulary, centre = self._centres[pool]
        rows = self.table.rows(student, candidate, *([base] if base else []))
        s, t = self._matrix(student, rows, vocabulary), self._matrix(candidate, rows, vocabulary)
        b = self._matrix(base, rows, vocabulary) if base else None
        return rows, s, t, b, centre

    def score(self, student: str, base: str | None, candidate: str, pool: Sequence[str], seed: int = 0) -> SignalScore:
        rows, s, t, b, center = self._setup(student, base, candidate, pool)
        if len(rows) < 4:
            return SignalScore(signal="pos", status=f"{len(rows)} common prompts: too few for template profiles")
        value = _closeness(s.mean(0), t.mean(0), center)
        rng = np.random.default_rng([seed, 11])
        draws, base_draws = np.empty(RESAMPLES), np.empty(RESAMPLES)
        for k in range(RESAMPLES):
            pick = rng.integers(0, len(rows), len(rows))
            draws[k] = _closeness(s[pick].mean(0), t[pick].mean(0), center)
            if b is not None:
                base_draws[k] = draws[k] - _closeness(b[pick].mean(0), t[pick].mean(0), center)
        out = SignalScore(
            signal="pos",
            value=Estimate(mean=value, low=percentile_interval(draws, 0.95)[0], high=percentile_interval(draws, 0.95)[1], n=len(rows)),
            detail={"prompts": len(rows), "templates": s.shape[1]},
        )
        if b is not None:
            reference = _closeness(b.mean(0), t.mean(0), center)
            low, high = percentile_interval(base_draws, 0.95)
            out.reference = Estimate(mean=reference, low=None, high=None, n=len(rows))
            out.margin = Estimate(mean=value - reference, low=low, high=high, n=len(rows))
        return out

    def margin_on(self, student: str, base: str, candidate: str, pool: Sequence[str]) -> Callable[[Sequence[str]], float | None]:
        """The margin on a redrawn test set (prompt ids, repeats allowed), for decisions on resampled test sets."""
        rows, s, t, b, centre = self._setup(student, base, candidate, pool)
        position = {pid: k for k, pid in enumerate(self.table.ids(rows))}

        def margin(drawn: Sequence[str]) -> float | None:
            pick = [position[pid] for pid in drawn if pid in position]
            if len(pick) < 4:
                return None
            return _closeness(s[pick].mean(0), t[pick].mean(0), centre) - _closeness(b[pick].mean(0), t[pick].mean(0), centre)

        return margin


def _closeness(x: np.ndarray, t: np.ndarray, center: np.ndarray) -> float:
    a, b = x - center, t - center
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b / norm) if norm > 0 else 0.0
