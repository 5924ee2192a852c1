"""Offline logical-structure similarity: how alike two answers' skeletons are.

An answer is reduced to a sequence of block tokens, one per block, in order:
heading `H`, bullet item `B`, numbered step `N`, table `T`, quote `Q`, code
block `C`, and prose paragraph `P`, the last two with a size bucket (short,
medium, long) so paragraph shape counts. Two skeletons are compared by
normalised Levenshtein similarity (rapidfuzz): 1 for the same shape, 0 for
nothing in common.

The skeleton is a habit: one model gives similar shapes to every prompt of a
kind. The order of ideas is not, so `idea_order_similarity` traces it as the
sequence of key terms in order of first appearance and compares two answers by
their longest common subsequence. Deterministic, no model.
"""

from __future__ import annotations

import re

from rapidfuzz.distance import Levenshtein

from distillscope.metrics.aspects.content import key_terms_in_order

_HEADING = re.compile(r"^\s{0,3}(#{1,6}\s|\*\*[^*]+\*\*:?\s*$)")
_BULLET = re.compile(r"^\s*[-*•+]\s+")
_NUMBERED = re.compile(r"^\s*(\d+[.)]|[一二三四五六七八九十]+[、.])\s*")
_TABLE = re.compile(r"^\s*\|.*\|\s*$")
_QUOTE = re.compile(r"^\s*>")
_FENCE = re.compile(r"^\s*(```|~~~)")
_WORDS = re.compile(r"\w+|[\u4e00-\u9fff]")


def _size(words: int, small: int, large: int) -> str:
    return "s" if words < small else ("m" if words < large else "l")


def skeleton(text: str) -> list[str]:
    """The answer's block tokens, in order."""
    tokens: list[str] = []
    paragraph: list[str] = []
    code: list[str] | None = None

    def close_paragraph() -> None:
        if paragraph:
            tokens.append("P" + _size(len(_WORDS.findall(" ".join(paragraph))), 15, 60))
            paragraph.clear()

    for line in (text or "").splitlines():
        if code is not None:
            if _FENCE.match(line):
                tokens.append("C" + _size(len(code), 5, 20))
                code = None
            else:
                code.append(line)
            continue
        if _FENCE.match(line):
            close_paragraph()
            code = []
        elif not line.strip():
            close_paragraph()
        elif _TABLE.match(line):
            close_paragraph()
            if not tokens or tokens[-1] != "T":  # a table is one block however many rows
                tokens.append("T")
        else:
            kind = next((k for k, p in (("H", _HEADING), ("B", _BULLET), ("N", _NUMBERED), ("Q", _QUOTE)) if p.match(line)), None)
            if kind:
                close_paragraph()
                tokens.append(kind)
            else:
                paragraph.append(line)
    close_paragraph()
    if code is not None:  # an unclosed fence (a cut answer) still counts as code
        tokens.append("C" + _size(len(code), 5, 20))
    return tokens


def structure_similarity(reference: str, candidate: str) -> float:
    a, b = skeleton(reference), skeleton(candidate)
    if not a and not b:
        return 1.0
    return float(Levenshtein.normalized_similarity(a, b))


def idea_sequence(text: str) -> list[str]:
    """The answer's key terms in the order they first appear: a trace of its order of ideas."""

    return key_terms_in_order(text)


def idea_order_similarity(reference: str, candidate: str) -> float:
    """Longest common subsequence of the two idea sequences over the longer one: shared ideas, in the same order."""
    from rapidfuzz.distance import LCSseq

    a, b = idea_sequence(reference), idea_sequence(candidate)
    if not a and not b:
        return 1.0
    return LCSseq.similarity(a, b) / max(len(a), len(b))
