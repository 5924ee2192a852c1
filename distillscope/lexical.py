"""Lexical similarity: ROUGE-L F1 and chrF.

ROUGE-L uses rouge-score's tokenizer, extended so CJK characters count as
tokens (rouge-score's own drops every non-Latin character, which would score
all Chinese answers 0), and computes the longest common subsequence with
rapidfuzz's C++ implementation: the same F1 as rouge-score, fast enough for
thousands of long pairs. chrF is sacrebleu's sentence-level chrF (0..1).

A leaf module (no other distillscope import): the similarity metrics use it,
and so does the mock model's RSE judge (models/mock_roles.py), which must not
reach up into metrics/.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from rapidfuzz.distance import LCSseq

if TYPE_CHECKING:
    from sacrebleu.metrics import CHRF

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_WORD = re.compile(r"[a-z0-9]+")


def tokenize(text: str) -> list[str]:
    """Lower-cased alphanumeric words (as rouge-score), plus each CJK character as a token."""
    tokens: list[str] = []
    for piece in re.split(r"(\s+)", text.lower()):
        for part in re.split(f"({_CJK.pattern})", piece):
            if _CJK.fullmatch(part or " "):
                tokens.append(part)
            else:
                tokens.extend(_WORD.findall(part))
    return tokens


def rouge_l_f1(reference: str, candidate: str) -> float:
    ref, cand = tokenize(reference), tokenize(candidate)
    if not ref or not cand:
        return 0.0
    lcs = LCSseq.similarity(ref, cand)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(cand), lcs / len(ref)
    return 2 * precision * recall / (precision + recall)


@lru_cache(maxsize=1)
def _chrf_metric() -> CHRF:
    """sacrebleu's CHRF, built once on first use (importing sacrebleu takes a while)."""
    from sacrebleu.metrics import CHRF

    return CHRF()


def chrf(reference: str, candidate: str) -> float:
    return _chrf_metric().sentence_score(candidate, [reference]).score / 100.0
