"""Judging by token probabilities instead of text (G-Eval; METHODS.md section 8).

A judge that writes "4" may have put 40% on "3": reading the whole
distribution at the score position gives a finer, less quantised score and
needs only a few output tokens. Everything here is a pure function of a
recorded top-logprob payload, so it is tested on recorded payloads and works
for any backend that can return one:

- OpenAI-compatible servers (vLLM, llama-server, hosted APIs):
  `choices[0].logprobs.content[i] = {token, logprob, top_logprobs: [{token, logprob}]}`;
- llama-cpp-python completions: `{tokens, token_logprobs, top_logprobs: [{token: logprob}]}`;
- transformers: per generated position the top-k of the softmaxed scores,
  decoded per token, as a `{token: logprob}` dict.

All become `TokenPositions`: one `{token: logprob}` per generated position plus
the token actually generated there. Score tokens are matched after stripping
whitespace, the tokenisers' word markers and a fused tag end ("Ġ4", "▁4", " 4" all count as "4", ">A" as "A"),
and their probabilities are renormalised over the score tokens present.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

from pydantic import BaseModel

from distillscope.models.logprobs import LOGPROB_TOLERANCE, LogprobParseError, TokenPositions

SCORE_TOKENS = ("1", "2", "3", "4", "5")


def normalise_token(token: str) -> str:
    """The label a token stands for: without whitespace, word markers, or the tag's ">" that BPE fuses onto a
    letter (Qwen2.5 writes "<answer>A" as "<", "answer", ">A")."""
    return token.replace("Ġ", " ").replace("▁", " ").strip().removeprefix(">").strip()


def label_probabilities(alternatives: Mapping[str, float], labels: Sequence[str]) -> dict[str, float]:
    """P(label) among `labels` at one position, summing token variants (" 4" and "4"), renormalised over labels present."""
    mass: dict[str, float] = {}
    for token, logprob in alternatives.items():
        label = normalise_token(token)
        if label in labels and logprob is not None and not math.isnan(logprob):
            if logprob > LOGPROB_TOLERANCE:
                raise LogprobParseError(f"log-probability {logprob:g} of token {token!r} is above 0")
            mass[label] = mass.get(label, 0.0) + math.exp(logprob)
    total = sum(mass.values())
    if total <= 0:
        raise LogprobParseError(f"none of the tokens {', '.join(labels)} among the top alternatives at the score position")
    return {label: mass.get(label, 0.0) / total for label in labels}


def expected_score(alternatives: Mapping[str, float], labels: Sequence[str] = SCORE_TOKENS) -> float:
    """Σ k·P(k) over the score tokens (G-Eval)."""
    return sum(float(label) * p for label, p in label_probabilities(alternatives, labels).items())


def position_at(positions: TokenPositions, char_offset: int) -> int:
    """The index of the generated token whose text covers `char_offset` of the generated text."""
    end = 0
    for index, token in enumerate(positions.tokens):
        end += len(token)
        if char_offset < end:
            return index
    raise LogprobParseError("the score lies beyond the generated tokens")


def _first_with(positions: TokenPositions, labels: Sequence[str]) -> int:
    for index, alternatives in enumerate(positions.top):
        if any(normalise_token(t) in labels for t in alternatives):
            return index
    raise LogprobParseError(f"no position has any of the tokens {', '.join(labels)} among its alternatives")


def _locate(positions: TokenPositions, pattern: str | None, labels: Sequence[str]) -> int:
    """The score position: where `pattern`'s group 1 sits in the generated text, else the first position offering a label."""
    if pattern is not None:
        match = re.search(pattern, positions.text, re.IGNORECASE)
        if match:
            return position_at(positions, match.start(1))
    return _first_with(positions, labels)


def rse_scores(positions: TokenPositions, aspects: Sequence[str]) -> dict[str, float]:
    """Expected 1-5 score per aspect, read where the judge wrote `<aspect>N</aspect>`.

    With a single aspect and no tag (a judge asked for one digit), the first
    position offering a score token is the score position.
    """
    scores = {}
    for aspect in aspects:
        pattern = rf"<{re.escape(aspect)}>\s*([1-5])"
        match = re.search(pattern, positions.text, re.IGNORECASE)
        if match is None and len(aspects) > 1:
            raise LogprobParseError(f"no <{aspect}> score in the judge's answer")
        scores[aspect] = expected_score(positions.top[_locate(positions, pattern, SCORE_TOKENS)])
    return scores


def choice_probabilities(positions: TokenPositions, choices: Sequence[str] = ("A", "B")) -> dict[str, float]:
    """P(choice) at the choice position (`<answer>X</answer>`, else the first position offering a choice)."""
    alternatives = "|".join(re.escape(c) for c in choices)
    index = _locate(positions, rf"<answer>\s*({alternatives})", choices)
    return label_probabilities(positions.top[index], choices)


class PairwiseVerdict(BaseModel):
    """The two orders combined: margin > 0 favours the answer shown first in the first order."""

    margin: float  # mean over both orders of P(first answer) - P(second answer), in [-1, 1]
    pick: str | None  # "first", "second", or None (abstain: |margin| below the threshold)


def pairwise_verdict(first_order: TokenPositions, swapped_order: TokenPositions, abstain_below: float = 0.1) -> PairwiseVerdict:
    """P(A) - P(B) averaged over both orders; the swapped order shows the first answer as B."""
    p1, p2 = choice_probabilities(first_order), choice_probabilities(swapped_order)
    margin = ((p1["A"] - p1["B"]) + (p2["B"] - p2["A"])) / 2
    pick = None if abs(margin) < abstain_below else ("first" if margin > 0 else "second")
    return PairwiseVerdict(margin=margin, pick=pick)


def conflict_probability(positions: TokenPositions) -> float:
    """P(conflict) = P(1) / (P(0) + P(1)) where the judge wrote `<judge>N</judge>` (or its first 0/1 position)."""
    index = _locate(positions, r"<judge>\s*([01])", ("0", "1"))
    return label_probabilities(positions.top[index], ("0", "1"))["1"]
