"""Response similarity (methods section 4): embedding cosine, ROUGE-L F1, chrF.

Each metric is computed per (prompt, reference answer, candidate answer) and
summarised overall and per category with bootstrap 95% CIs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel

from distillscope.metrics.embeddings import Embedder
from distillscope.metrics.lexical import chrf, rouge_l_f1
from distillscope.metrics.stats import Estimate, bootstrap_mean, grouped
from distillscope.types import Prompt

METRICS = ("cosine", "rouge_l", "chrf")


class SimilarityResult(BaseModel):
    embedder: str
    n_pairs: int
    overall: dict[str, Estimate]
    by_category: dict[str, dict[str, Estimate]]
    per_pair: list[dict]


def pair_scores(embedder: Embedder, references: Sequence[str], candidates: Sequence[str]) -> dict[str, np.ndarray]:
    """Per-pair cosine, ROUGE-L F1 and chrF, each an array aligned with the inputs."""
    vectors = embedder.embed([*references, *candidates])
    ref_vectors, cand_vectors = vectors[: len(references)], vectors[len(references) :]
    return {
        "cosine": np.einsum("ij,ij->i", ref_vectors, cand_vectors).clip(-1.0, 1.0) if len(references) else np.zeros(0),
        "rouge_l": np.array([rouge_l_f1(r, c) for r, c in zip(references, candidates)]),
        "chrf": np.array([chrf(r, c) for r, c in zip(references, candidates)]),
    }


def evaluate_similarity(
    embedder: Embedder, prompts: Sequence[Prompt], references: Sequence[str], candidates: Sequence[str], seed: int = 0
) -> SimilarityResult:
    scores = pair_scores(embedder, references, candidates)
    categories = [p.category for p in prompts]
    by_category: dict[str, dict[str, Estimate]] = {}
    for metric in METRICS:
        for category, estimate in grouped(list(scores[metric]), categories, seed=seed).items():
            by_category.setdefault(category, {})[metric] = estimate
    return SimilarityResult(
        embedder=embedder.name,
        n_pairs=len(prompts),
        overall={m: bootstrap_mean(list(scores[m]), seed=seed) for m in METRICS},
        by_category=by_category,
        per_pair=[
            {"prompt_id": p.id, "category": p.category, **{m: round(float(scores[m][i]), 5) for m in METRICS}}
            for i, p in enumerate(prompts)
        ],
    )
