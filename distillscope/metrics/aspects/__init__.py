"""Offline aspect similarity: RSE's three aspects measured without an LLM (deterministic, fast).

RSE asks a judge how alike two answers are in style, logical structure and
content detail. A judge can be weak, slow or absent, so the same aspects are
also measured by rule, and shown beside RSE as "aspect similarity":

- `style`: stylometric profiles (`style.py`);
- `structure`: answer skeletons, headings / lists / steps / code / paragraph shape (`structure.py`);
- `idea_order`: the order in which the answers bring up their key terms (`structure.py`);
- `content_terms`: shared numbers, names and key terms (`content.py`);
- `content_alignment`: BERTScore-style greedy token alignment, on MiniLM token
  embeddings when given, else on exact word matches.

All are 0..1, 1 for identical answers, summarised overall and per category
with bootstrap CIs, and every one goes through the control ladder like any
other measure. Style and skeleton are habits a model shows on every prompt of
a kind, so the ladder's third rung (the same model on another prompt of the
same category) is their hardest case, and they fail it more often than the
content measures do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel

from distillscope.metrics.aspects.content import LexicalTokens, TokenSource, alignment_f1, content_term_f1
from distillscope.metrics.aspects.structure import idea_order_similarity, structure_similarity
from distillscope.metrics.aspects.style import style_similarity
from distillscope.stats import Estimate, bootstrap_mean, grouped
from distillscope.types import Prompt

if TYPE_CHECKING:
    from distillscope.metrics.embeddings import EmbeddingCache

ASPECT_MEASURES = ("style", "structure", "idea_order", "content_terms", "content_alignment")


class AspectResult(BaseModel):
    token_source: str
    n_pairs: int
    overall: dict[str, Estimate]
    by_category: dict[str, dict[str, Estimate]]
    per_pair: list[dict]


def aspect_scores(
    references: Sequence[str], candidates: Sequence[str], token_source: TokenSource | None = None, cache: EmbeddingCache | None = None
) -> dict[str, np.ndarray]:
    """Per-pair scores for every aspect measure, each an array aligned with the inputs."""
    source = token_source or LexicalTokens()
    pairs = list(zip(references, candidates))
    return {
        "style": np.array([style_similarity(r, c) for r, c in pairs]),
        "structure": np.array([structure_similarity(r, c) for r, c in pairs]),
        "idea_order": np.array([idea_order_similarity(r, c) for r, c in pairs]),
        "content_terms": np.array([content_term_f1(r, c) for r, c in pairs]),
        "content_alignment": np.array(alignment_f1(source, references, candidates, cache) if pairs else []),
    }


def evaluate_aspects(
    prompts: Sequence[Prompt],
    references: Sequence[str],
    candidates: Sequence[str],
    token_source: TokenSource | None = None,
    seed: int = 0,
    cache: EmbeddingCache | None = None,
) -> AspectResult:
    scores = aspect_scores(references, candidates, token_source, cache)
    categories = [p.category for p in prompts]
    by_category: dict[str, dict[str, Estimate]] = {}
    for measure in ASPECT_MEASURES:
        for category, estimate in grouped(list(scores[measure]), categories, seed=seed).items():
            by_category.setdefault(category, {})[measure] = estimate
    return AspectResult(
        token_source=(token_source or LexicalTokens()).name,
        n_pairs=len(prompts),
        overall={m: bootstrap_mean(list(scores[m]), seed=seed) for m in ASPECT_MEASURES},
        by_category=by_category,
        per_pair=[
            {"prompt_id": p.id, "category": p.category, **{m: round(float(scores[m][i]), 5) for m in ASPECT_MEASURES}}
            for i, p in enumerate(prompts)
        ],
    )


def aspect_measure(
    token_source: TokenSource | None = None, cache: EmbeddingCache | None = None
) -> Callable[[Sequence[Prompt], Sequence[str], Sequence[str]], dict[str, list[float]]]:
    """The aspect measures as one ladder measure (`controls.Measure`: one call, one named score list per measure)."""

    def measure(prompts: Sequence[Prompt], references: Sequence[str], others: Sequence[str]) -> dict[str, list[float]]:
        scores = aspect_scores(references, others, token_source, cache)
        return {name: [float(v) for v in values] for name, values in scores.items()}

    return measure
