"""The audit's validity controls: the control ladder and the judges' own controls (METHODS.md section 8).

Run once per audit on the teacher's answers, before any student is scored,
so every measure carries its validity for this run into the verdict and the
report. The ladder depends only on the reference, so all students share it;
the judge controls depend only on the judges and the teacher.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from distillscope.types import Prompt

CONTROL_ITEMS = 12  # items per side of a judge's own control: enough to flag a judge that cannot do the task


def aspect_tokens(embedder):  # noqa: ANN001, ANN201 - an aspects_content token source
    """Token embeddings of the sentence embedder's model when it has one, else exact words (the model-free fallback)."""
    from distillscope.metrics.aspects_content import LexicalTokens, MiniLMTokens

    return MiniLMTokens(embedder) if callable(getattr(embedder, "model", None)) else LexicalTokens()


def run_ladder_controls(runner, teacher, judge, prompts: Sequence[Prompt], teacher_texts: Sequence[str | None],  # noqa: ANN001
                        sampling, embedder, metrics: Sequence[str], n: int, seed: int,
                        log: Callable[[str], None], judge_mode: str = "auto", aspect_cache=None) -> dict | None:
    """The control ladder for every measure the audit prints; None when `n` is 0 (then nothing is checked)."""
    from distillscope.metrics.aspects import aspect_measure
    from distillscope.metrics.controls import ladder_answers, run_ladder
    from distillscope.metrics.judge_controls import rse_measure
    from distillscope.metrics.similarity import similarity_measure

    if n <= 0:
        return None
    measures: dict = {}
    if "similarity" in metrics:
        measures["similarity"] = similarity_measure(embedder)
        measures["aspects"] = aspect_measure(aspect_tokens(embedder), aspect_cache)
    if "rse" in metrics and judge is not None:
        measures["rse"] = rse_measure(runner, judge, mode=judge_mode)
    if not measures:
        return None
    log(f"control ladder: {n} prompts of the teacher (self, resample, other prompt)")
    ladder = ladder_answers(runner, teacher, prompts, teacher_texts, sampling, n=n, seed=seed)
    return run_ladder(ladder, measures, seed=seed).model_dump()


def pairwise_judge_control(runner, judge, prompts: Sequence[Prompt], teacher_texts: Sequence[str], seed: int,  # noqa: ANN001
                           mode: str = "auto") -> dict:
    """Does the pairwise judge pick the teacher's on-topic answer over its answer to another prompt?"""
    from distillscope.metrics.judge_controls import mismatched_pairs, pairwise_callable, pairwise_control

    mismatched = mismatched_pairs(list(prompts), list(teacher_texts), seed=seed)
    prompts, teacher_texts, mismatched = list(prompts)[:CONTROL_ITEMS], list(teacher_texts)[:CONTROL_ITEMS], mismatched[:CONTROL_ITEMS]
    return pairwise_control(pairwise_callable(runner, judge, mode), [p.text for p in prompts], teacher_texts,
                            mismatched).model_dump()


def conflict_judge_control(runner, judge, target, fact_set, library, sampling, mode: str = "auto") -> dict:  # noqa: ANN001
    """Does the ICE conflict judge separate the target's own identity answers from another family's identity?"""
    from distillscope.metrics.judge_controls import (
        conflict_callable,
        conflict_control,
        identity_statements,
        plain_identity_answers,
    )

    import random

    own_constructed, foreign = identity_statements(fact_set, library)
    own = plain_identity_answers(runner, target, fact_set, library, sampling, limit=CONTROL_ITEMS) or own_constructed
    if len(foreign) > CONTROL_ITEMS:  # every judge call costs seconds on a local judge: a seeded sample
        foreign = random.Random("conflict-control").sample(foreign, CONTROL_ITEMS)
    return conflict_control(conflict_callable(runner, judge, mode), own, foreign).model_dump()
