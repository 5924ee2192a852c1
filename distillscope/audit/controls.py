"""The judges' own controls in an audit (METHODS.md section 8): can this judge rank known cases?

The pairwise judge must pick the teacher's on-topic answer over its answer to
another prompt; the ICE conflict judge must separate the target's own identity
from another family's. A judge that fails is left out of the verdict. (The
control ladder of the measures themselves runs in pipeline/audit.py.)
"""

from __future__ import annotations

from collections.abc import Sequence

from distillscope.types import Prompt

CONTROL_ITEMS = 12  # items per side of the conflict judge's control: enough to flag a judge that cannot do the task
# pairs in the pairwise judge's control: its on-topic rate is decided by a Wilson interval, whose lower bound
# reaches 0.8 only from 20 pairs on (20 of 20: 0.84; 12 of 12 would give 0.76, so a perfect judge could never pass)
PAIRWISE_CONTROL_ITEMS = 20


def pairwise_judge_control(
    runner,
    judge,
    prompts: Sequence[Prompt],
    teacher_texts: Sequence[str],
    seed: int,  # noqa: ANN001
    mode: str = "auto",
) -> dict:
    """Does the pairwise judge pick the teacher's on-topic answer over its answer to another prompt?"""
    from distillscope.metrics.judge_controls import mismatched_pairs, pairwise_callable, pairwise_control

    mismatched = mismatched_pairs(list(prompts), list(teacher_texts), seed=seed)
    k = PAIRWISE_CONTROL_ITEMS
    prompts, teacher_texts, mismatched = list(prompts)[:k], list(teacher_texts)[:k], mismatched[:k]
    return pairwise_control(pairwise_callable(runner, judge, mode), [p.text for p in prompts], teacher_texts, mismatched).model_dump()


def conflict_judge_control(runner, judge, target, fact_set, library, sampling, mode: str = "auto") -> dict:  # noqa: ANN001
    """Does the ICE conflict judge separate the target's own identity answers from another family's identity?"""
    import random

    from distillscope.metrics.judge_controls import (
        conflict_callable,
        conflict_control,
        identity_statements,
        plain_identity_answers,
    )

    own_constructed, foreign = identity_statements(fact_set, library)
    own = plain_identity_answers(runner, target, fact_set, library, sampling, limit=CONTROL_ITEMS) or own_constructed
    if len(foreign) > CONTROL_ITEMS:  # every judge call costs seconds on a local judge: a seeded sample
        foreign = random.Random("conflict-control").sample(foreign, CONTROL_ITEMS)
    return conflict_control(conflict_callable(runner, judge, mode), own, foreign).model_dump()
