"""Response similarity (methods section 4): embedding cosine, ROUGE-L F1, chrF.

Each metric is computed per (prompt, reference answer, candidate answer) and
summarised overall and per category with bootstrap 95% CIs. Cosine is taken
in one embedding space per pair, chosen by the pair's language when the
embedder is a `LanguageEmbedders` (MiniLM for English, multilingual e5 for
Chinese); `similarity_measure` wraps the same scores for the control ladder.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from pydantic import BaseModel

from distillscope.lexical import chrf, rouge_l_f1
from distillscope.metrics.embeddings import LanguageEmbedders
from distillscope.protocols import TextEmbedder
from distillscope.stats import Estimate, bootstrap_mean, grouped
from distillscope.types import Prompt

METRICS = ("cosine", "rouge_l", "chrf")


class SimilarityResult(BaseModel):
    embedder: str
    embedders: dict[str, str] = {}  # language -> embedder name ('*' the default), when routed by language
    n_pairs: int
    overall: dict[str, Estimate]
    by_category: dict[str, dict[str, Estimate]]
    per_pair: list[dict]


def pair_language(prompt: Prompt | None, reference: str) -> str:
    """The prompt's language label, else a guess from the reference answer's script and stop words."""
    if prompt is not None and prompt.language:
        return prompt.language.split("-")[0].lower()
    from distillscope.probes.text_filters import detect_language

    return detect_language(reference)


def cosines(
    embedder: TextEmbedder,
    references: Sequence[str],
    candidates: Sequence[str],
    languages: Sequence[str] | None = None,
) -> np.ndarray:
    """Per-pair cosine; with a `LanguageEmbedders`, each pair in its language's embedding space."""
    if not len(references):
        return np.zeros(0)
    if not isinstance(embedder, LanguageEmbedders) or not embedder.by_language:
        vectors = embedder.embed([*references, *candidates])
        return np.einsum("ij,ij->i", vectors[: len(references)], vectors[len(references) :]).clip(-1.0, 1.0)
    languages = languages or [pair_language(None, r) for r in references]
    out = np.zeros(len(references))
    groups: dict[int, tuple[TextEmbedder, list[int]]] = {}
    for i, language in enumerate(languages):
        chosen = embedder.for_language(language)
        groups.setdefault(id(chosen), (chosen, []))[1].append(i)
    for chosen, indices in groups.values():
        out[indices] = cosines(chosen, [references[i] for i in indices], [candidates[i] for i in indices])
    return out


def pair_scores(
    embedder: TextEmbedder, references: Sequence[str], candidates: Sequence[str], languages: Sequence[str] | None = None
) -> dict[str, np.ndarray]:
    """Per-pair cosine, ROUGE-L F1 and chrF, each an array aligned with the inputs."""
    return {
        "cosine": cosines(embedder, references, candidates, languages),
        "rouge_l": np.array([rouge_l_f1(r, c) for r, c in zip(references, candidates)]),
        "chrf": np.array([chrf(r, c) for r, c in zip(references, candidates)]),
    }


def similarity_measure(embedder: TextEmbedder) -> Callable[[Sequence[Prompt], Sequence[str], Sequence[str]], dict[str, list[float]]]:
    """Cosine, ROUGE-L and chrF as one ladder measure (`controls.Measure`: one call, three named score lists)."""

    def measure(prompts: Sequence[Prompt], references: Sequence[str], others: Sequence[str]) -> dict[str, list[float]]:
        languages = [pair_language(p, r) for p, r in zip(prompts, references)]
        return {name: [float(v) for v in values] for name, values in pair_scores(embedder, references, others, languages).items()}

    return measure


def evaluate_similarity(
    embedder: TextEmbedder, prompts: Sequence[Prompt], references: Sequence[str], candidates: Sequence[str], seed: int = 0
) -> SimilarityResult:
    scores = pair_scores(embedder, references, candidates, [pair_language(p, r) for p, r in zip(prompts, references)])
    categories = [p.category for p in prompts]
    by_category: dict[str, dict[str, Estimate]] = {}
    for metric in METRICS:
        for category, estimate in grouped(list(scores[metric]), categories, seed=seed).items():
            by_category.setdefault(category, {})[metric] = estimate
    return SimilarityResult(
        embedder=embedder.name,
        embedders=embedder.names() if isinstance(embedder, LanguageEmbedders) else {},
        n_pairs=len(prompts),
        overall={m: bootstrap_mean(list(scores[m]), seed=seed) for m in METRICS},
        by_category=by_category,
        per_pair=[
            {"prompt_id": p.id, "category": p.category, **{m: round(float(scores[m][i]), 5) for m in METRICS}}
            for i, p in enumerate(prompts)
        ],
    )
