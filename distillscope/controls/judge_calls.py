"""The judges of the controls called through the runner: each as a batch callable or a ladder measure.

The controls in `judges.py` take plain batch callables, so they run on mock judges in tests; these
adapters give them the real judges (template, parser, log-probability reading, the judge's mode),
and run the two judge controls of an audit (METHODS.md section 8), once per judge: the pairwise judge
must pick the teacher's on-topic answer over its answer to another prompt; the ICE conflict judge must
separate the target's own identity from another family's. A judge that fails is left out of the verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from distillscope.controls.judges import (
    ConflictJudge,
    PairwiseJudge,
    conflict_control,
    identity_statements,
    mismatched_pairs,
    pairwise_control,
    plain_identity_answers,
)
from distillscope.controls.ladder import CostlyMeasure
from distillscope.indist.pairwise import ABSTAIN_BELOW, JUDGE_SAMPLING, LOGPROB_MAX_TOKENS, _clip
from distillscope.judges.judge import CONFLICT_LOGPROB_MAX_TOKENS, JudgeMode, JudgeOutcome, item_id, read_conflict, run_judge
from distillscope.judges.logprob import choice_probabilities
from distillscope.judges.parsing import parse_choice, parse_conflict
from distillscope.judges.templates import load_template
from distillscope.metrics.rse import ASPECTS, evaluate_rse
from distillscope.types import Prompt, SamplingParams

if TYPE_CHECKING:
    from distillscope.controls.ladder import Measure
    from distillscope.ice.facts import FactLibrary, FactSet
    from distillscope.models.base import Model
    from distillscope.protocols import AnswerRunner


def rse_measure(runner: AnswerRunner[Model], judge: Model, template: str = "rse", mode: JudgeMode = "auto") -> Measure:
    """The RSE judge as a ladder measure: {'rse': mean of aspects, 'rse.style': ..., ...} per pair, None if unreadable.

    A CostlyMeasure: the ladder asks it 8 pairs at a time (one batch of a local judge) and stops once it cannot be scored.
    """

    def measure(prompts: Sequence[Prompt], references: Sequence[str], others: Sequence[str]) -> dict[str, list[float | None]]:
        result = evaluate_rse(runner, judge, prompts, references, others, template=template, swap_n=0, mode=mode)
        out: dict[str, list[float | None]] = {"rse": [pair.mean for pair in result.pairs]}
        for aspect in ASPECTS:
            out[f"rse.{aspect}"] = [pair.scores[aspect] if pair.scores else None for pair in result.pairs]
        return out

    return CostlyMeasure(measure, chunk=8)


def pairwise_callable(runner: AnswerRunner[Model], judge: Model, mode: JudgeMode = "auto") -> PairwiseJudge:
    """The pairwise adversary's judge (template `indist_pairwise`, no examples) as a batch callable, in the judge's own mode."""
    from functools import partial

    template = load_template("indist_pairwise")

    def judge_batch(items: Sequence[tuple[str, str, str]]) -> list[str | None]:
        rendered = [template.render(examples=[], prompt=_clip(p, 800), a=_clip(a), b=_clip(b)) for p, a, b in items]
        outcomes = run_judge(
            runner,
            judge,
            [(item_id("pairwise-control", t), t) for t in rendered],
            partial(parse_choice, choices=("A", "B")),
            "<answer>A</answer>",
            JUDGE_SAMPLING,
            read_logprobs=choice_probabilities,
            logprob_max_tokens=LOGPROB_MAX_TOKENS,
            mode=mode,
        )
        return [_choice(o) for o in outcomes]

    return judge_batch


def _choice(outcome: JudgeOutcome) -> str | None:
    """A or B from a text verdict, or from a logprob verdict's probabilities (None when it abstains or failed)."""

    if not outcome.ok:
        return None
    if isinstance(outcome.parsed, dict):  # logprob mode: {"A": P(A), "B": P(B)}; abstain on a near tie, as the adversary does
        margin = outcome.parsed.get("A", 0.0) - outcome.parsed.get("B", 0.0)
        return None if abs(margin) < ABSTAIN_BELOW else ("A" if margin > 0 else "B")
    return outcome.parsed


def conflict_callable(runner: AnswerRunner[Model], judge: Model, mode: JudgeMode = "auto") -> ConflictJudge:
    """The ICE conflict judge (template `ice_conflict`) as a batch callable: P(conflict) or 1.0/0.0, None unreadable."""

    template = load_template("ice_conflict")

    def judge_batch(items: Sequence[tuple[list[str], str]]) -> list[float | None]:
        rendered = [template.render(facts=facts, response=response) for facts, response in items]
        outcomes = run_judge(
            runner,
            judge,
            [(item_id("conflict-control", t), t) for t in rendered],
            parse_conflict,
            "<judge>0</judge>",
            read_logprobs=read_conflict,
            logprob_max_tokens=CONFLICT_LOGPROB_MAX_TOKENS,
            mode=mode,
        )
        return [float(o.parsed[0]) if o.ok else None for o in outcomes]

    return judge_batch


CONTROL_ITEMS = 12  # items per side of the conflict judge's control: enough to flag a judge that cannot do the task
# pairs in the pairwise judge's control: its on-topic rate is decided by a Wilson interval, whose lower bound
# reaches 0.8 only from 20 pairs on (20 of 20: 0.84; 12 of 12 would give 0.76, so a perfect judge could never pass)
PAIRWISE_CONTROL_ITEMS = 20


def pairwise_judge_control(
    runner: AnswerRunner[Model],
    judge: Model,
    prompts: Sequence[Prompt],
    teacher_texts: Sequence[str],
    seed: int,
    mode: JudgeMode = "auto",
) -> dict:
    """Does the pairwise judge pick the teacher's on-topic answer over its answer to another prompt?"""
    mismatched = mismatched_pairs(list(prompts), list(teacher_texts), seed=seed)
    k = PAIRWISE_CONTROL_ITEMS
    prompts, teacher_texts, mismatched = list(prompts)[:k], list(teacher_texts)[:k], mismatched[:k]
    return pairwise_control(pairwise_callable(runner, judge, mode), [p.text for p in prompts], teacher_texts, mismatched).model_dump()


def conflict_judge_control(
    runner: AnswerRunner[Model],
    judge: Model,
    target: Model,
    fact_set: FactSet,
    library: FactLibrary,
    sampling: SamplingParams,
    mode: JudgeMode = "auto",
) -> dict:
    """Does the ICE conflict judge separate the target's own identity answers from another family's identity?"""
    import random

    own_constructed, foreign = identity_statements(fact_set, library)
    own = plain_identity_answers(runner, target, fact_set, library, sampling, limit=CONTROL_ITEMS) or own_constructed
    if len(foreign) > CONTROL_ITEMS:  # every judge call costs seconds on a local judge: a seeded sample
        foreign = random.Random("conflict-control").sample(foreign, CONTROL_ITEMS)
    return conflict_control(conflict_callable(runner, judge, mode), own, foreign).model_dump()
