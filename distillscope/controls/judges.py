"""Controls for the LLM judges: each must pass a task it cannot fake before its numbers count (METHODS.md section 8).

- RSE judge: it runs on the control ladder like every similarity measure
  (`rse_measure` turns it into a ladder measure: overall and per aspect).
- Pairwise judge: shown a prompt with the teacher's answer to it and the
  teacher's answer to *another* prompt, in both orders, it must pick the
  on-topic answer in >= 80% of its order-consistent verdicts (and be
  order-consistent on at least half the pairs); else it is flagged.
- ICE conflict judge: it must score constructed statements of another
  family's identity as conflicts more than the target's own plain identity
  statements: AUC >= 0.8 over both languages, else loose ICE is flagged.

As on the control ladder, each is decided by its 95% interval, not its point:
valid when the lower bound reaches 0.8, invalid when the upper bound is below
it (the audit then spends no more calls on that judge), undecided otherwise.

Judges are passed as batch callables, so the controls run on mock judges in
tests and on real ones through the runner (the `*_callable` adapters).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, model_validator

from distillscope.controls.ladder import VALID_AUC, choose_ladder_prompts
from distillscope.controls.ladder_auc import auc_with_ci
from distillscope.controls.ladder_result import Status, status_from_valid
from distillscope.stats import Estimate, proportion
from distillscope.types import Prompt, SamplingParams

if TYPE_CHECKING:
    from distillscope.ice.facts import FactLibrary, FactSet
    from distillscope.models.base import Model
    from distillscope.protocols import AnswerRunner

#: (prompt, answer A, answer B) per item -> "A", "B" or None (unreadable)
PairwiseJudge = Callable[[Sequence[tuple[str, str, str]]], list[str | None]]
#: (true facts, response) per item -> conflict score (0/1 verdict or P(conflict)), None when unreadable
ConflictJudge = Callable[[Sequence[tuple[list[str], str]]], list[float | None]]

MIN_COVERAGE = 0.5


T = TypeVar("T")


class JudgeControl(BaseModel):
    judge: str
    control: str
    n: int
    statistic: Estimate  # pairwise: on-topic rate among consistent verdicts; conflict: AUC
    coverage: Estimate | None = None  # pairwise: order-consistent / pairs
    unreadable: int = 0
    valid: bool  # True only when decided valid (undecided is not valid)
    reason: str
    status: Status = "invalid"  # set from `valid` when absent: results written before the interval rule (`status_from_valid`)
    calls_saved: int | None = None  # set by the audit when this failed control kept the judge from the students

    @model_validator(mode="before")
    @classmethod
    def _status_from_valid(cls, data: Any) -> Any:
        return status_from_valid(data)


def decide(statistic: Estimate, threshold: float, what: str) -> tuple[Status, str]:
    """valid / invalid / undecided from the statistic's 95% interval, with a reason that quotes it."""
    text = f"{what} {statistic.fmt(2)}"
    if statistic.low is None or statistic.high is None:
        return "undecided", f"{text}: no interval; too few control items to decide"
    if statistic.low >= threshold:
        return "valid", f"{text}: lower bound >= {threshold}"
    if statistic.high < threshold:
        return "invalid", f"{text}: upper bound < {threshold}"
    return "undecided", f"{text} straddles {threshold}: too few control items to decide"


def per_item(judge_one: Callable[..., T]) -> Callable[[Sequence[tuple]], list[T]]:
    """Lift a one-item judge `f(*item)` into the batch form the controls take."""
    return lambda items: [judge_one(*item) for item in items]


def pairwise_control(
    judge: PairwiseJudge,
    prompts: Sequence[str],
    on_topic: Sequence[str],
    mismatched: Sequence[str],
    name: str = "judge",
    threshold: float = VALID_AUC,
    min_coverage: float = MIN_COVERAGE,
) -> JudgeControl:
    """Does the judge pick the answer that belongs to the prompt, whichever side it is shown on?"""
    items = []
    for prompt, right, wrong in zip(prompts, on_topic, mismatched):
        items += [(prompt, right, wrong), (prompt, wrong, right)]
    picks = judge(items)
    consistent = correct = unreadable = 0
    for index in range(len(prompts)):
        first, second = picks[2 * index], picks[2 * index + 1]
        unreadable += (first is None) + (second is None)
        if first is not None and second is not None and (first == "A") == (second == "B"):
            consistent += 1
            correct += first == "A"
    n = len(prompts)
    rate, coverage = proportion(correct, consistent), proportion(consistent, n)
    status: Status
    if n == 0 or consistent == 0:
        status, reason = "invalid", f"no order-consistent verdict on {n} pairs (position bias or unreadable answers)"
    elif coverage.high is not None and coverage.high < min_coverage:
        status, reason = "invalid", f"order-consistent on only {consistent} of {n} pairs ({coverage.fmt(2)} < {min_coverage:.0%})"
    else:
        status, reason = decide(rate, threshold, f"picked the on-topic answer in {correct} of {consistent} consistent verdicts:")
        if status == "valid" and coverage.low is not None and coverage.low < min_coverage:
            status, reason = "undecided", f"{reason}, but order-consistent on only {consistent} of {n} pairs ({coverage.fmt(2)})"
    valid = status == "valid"
    return JudgeControl(
        judge=name,
        control="pairwise: on-topic vs mismatched answer",
        n=n,
        statistic=rate,
        coverage=coverage,
        unreadable=unreadable,
        valid=valid,
        status=status,
        reason=reason,
    )


def mismatched_pairs(prompts: Sequence[Prompt], answers: Sequence[str], seed: int = 0) -> list[str]:
    """For each prompt, the same model's answer to another prompt (same category where there is one)."""

    picks, _ = choose_ladder_prompts(prompts, answers, n=len(prompts), seed=seed)
    other = dict(picks)
    return [answers[other.get(i, (i + 1) % len(prompts))] for i in range(len(prompts))]


def identity_statements(
    fact_set: FactSet,
    library: FactLibrary,
    languages: Sequence[str] = ("en", "zh"),
    per_family: int = 2,
    seed: int = 0,
) -> tuple[list[tuple[list[str], str]], list[tuple[list[str], str]]]:
    """(own, foreign) items for the conflict control, built from the facts library in each language.

    Own: first-person statements of the target's true identity. Foreign: the
    same statements for other families (not sharing the target's developer),
    which conflict with the target's facts by construction.
    """
    rng = random.Random(f"{seed}:identity-control")
    own_families = library.own_developer_families(fact_set.developer)
    own_ids = own_families | {fact_set.developer}
    others = sorted(f for f in library.families if f not in own_families)
    own, foreign = [], []
    for language in languages:
        facts = fact_set.facts_for(language)
        own += [(facts, text) for text in _first_person(fact_set, language, per_family, rng)]
        for family in others:
            # a foreign fact that names the target's own developer ("invested in by Alibaba") would blur the control
            clean = lambda text: not any(m.id in own_ids for m in library.mentions(text))  # noqa: E731
            foreign += [(facts, text) for text in _first_person(library.families[family], language, per_family, rng, clean)]
    return own, foreign


def _first_person(family: FactSet, language: str, k: int, rng: random.Random, keep: Callable[[str], bool] = lambda text: True) -> list[str]:
    names = (family.names.zh if language == "zh" and family.names.zh else family.names.en) or [family.family]
    facts = [f.text(language) for f in family.facts if keep(f.text(language))]
    chosen = rng.sample(facts, min(k, len(facts)))
    intro = (lambda n: f"我是{n}。") if language == "zh" else (lambda n: f"I am {n}.")
    return [f"{intro(names[0])} {fact}" for fact in chosen]


def plain_identity_answers(
    runner: AnswerRunner[Model],
    target: Model,
    fact_set: FactSet,
    library: FactLibrary,
    sampling: SamplingParams,
    limit: int | None = None,
    seed: int = 0,
) -> list[tuple[list[str], str]]:
    """The target's own answers to the plain identity questions (EN and ZH, no jailbreak template), as control negatives.

    Answers that name another family or developer are left out: a distilled
    target may well say "I am ChatGPT" unprompted, and that is a true conflict,
    not a negative. Asked through the runner, so they are stored and cached.
    """
    from distillscope.ice.templates import identity_questions, names_other_identity
    from distillscope.types import GenerationRequest, Message

    questions = identity_questions()
    if limit is not None and len(questions) > limit:  # a control, not a survey: a seeded sample, both languages kept
        by_language: dict[str, list] = {}
        for question in questions:
            by_language.setdefault(question.language, []).append(question)
        rng = random.Random(f"{seed}:identity-control-questions")
        per_language = max(1, limit // len(by_language))
        questions = [q for group in by_language.values() for q in rng.sample(group, min(per_language, len(group)))]
    requests = [
        GenerationRequest(prompt_id=f"identity-control:{q.id}", messages=(Message(role="user", content=q.text),), sampling=sampling)
        for q in questions
    ]
    out = []
    for question, response in zip(questions, runner.run(target, requests).responses):
        if response is not None and not names_other_identity(response.text, fact_set, library):
            out.append((fact_set.facts_for(question.language), response.text))
    return out


def conflict_control(
    judge: ConflictJudge,
    own: Sequence[tuple[list[str], str]],
    foreign: Sequence[tuple[list[str], str]],
    name: str = "judge",
    threshold: float = VALID_AUC,
    seed: int = 0,
) -> JudgeControl:
    """AUC of the judge's conflict score: foreign identity statements (positives) vs the target's own (negatives)."""
    scores = judge([*own, *foreign])
    own_scores, foreign_scores = scores[: len(own)], scores[len(own) :]
    unreadable = sum(s is None for s in scores)
    # unpaired sets: pad to a common length so auc_with_ci compares every positive with every negative
    width = max(len(own_scores), len(foreign_scores))
    auc = auc_with_ci(
        [*foreign_scores, *[None] * (width - len(foreign_scores))],
        [*own_scores, *[None] * (width - len(own_scores))],
        seed=seed,
        paired=False,
    )
    n = len(own) + len(foreign)
    status: Status
    if auc.mean is None or unreadable * 2 > n:
        status, reason = "invalid", f"{unreadable} of {n} control statements could not be judged"
    else:
        status, reason = decide(auc, threshold, "AUC(another family's identity vs its own)")
        if status == "invalid":
            reason += ": loose ICE is not trustworthy"
    valid = status == "valid"
    return JudgeControl(
        judge=name,
        control="conflict: own vs another family's identity",
        n=n,
        statistic=auc,
        unreadable=unreadable,
        valid=valid,
        status=status,
        reason=reason,
    )
