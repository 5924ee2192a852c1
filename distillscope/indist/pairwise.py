"""Adversary (d): an LLM judge of a third family picks which of two answers is the teacher's.

It sees a few of the teacher's answers from the train split as examples,
then a test prompt with one answer from each model. Each pair is judged in
both orders; only verdicts that name the same answer both times are kept, so
a judge that always says "A" scores nothing instead of looking informative.
Coverage (kept / judged) is reported next to the advantage, and so is the
advantage that counts every dropped pair as a coin flip. A verdict is read
only from the grammar the template asks for (`<answer>A</answer>`, see
judges/parsing.py); an ambiguous one ("a close call, but B") is an unreadable
verdict, counted, never guessed. The time t is the judge's generation time
as stored with its answers, so it does not shrink when answers come from the store.

In logprob mode (judges/judge.py) the verdict is P(A) - P(B) at the choice
position, averaged over both orders (`pairwise_verdict`); a pair whose
|margin| is below `ABSTAIN_BELOW` counts as inconsistent. A pair judged in
text mode in either order uses that order's choice as a probability of 1.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING

from pydantic import BaseModel

from distillscope.judges.judge import JudgeMode, JudgeOutcome, item_id, mode_counts, run_judge
from distillscope.judges.logprob import choice_probabilities, pairwise_verdict
from distillscope.judges.parsing import parse_choice
from distillscope.judges.templates import load_template
from distillscope.models.base import Model
from distillscope.stats import Estimate, bootstrap_mean, proportion
from distillscope.types import Prompt, SamplingParams

if TYPE_CHECKING:
    from distillscope.protocols import AnswerRunner

JUDGE_SAMPLING = SamplingParams(temperature=0.0, max_tokens=24)
LOGPROB_MAX_TOKENS = 4  # "<answer>A": 3 tokens for Qwen2.5 (">A" fused), 4 for SmolLM2 and the mock
ABSTAIN_BELOW = 0.1  # logprob mode: |mean P(teacher) - P(student)| below this is no verdict


class PairwiseJudgeResult(BaseModel):
    judge: str
    pairs: int
    consistent: int
    coverage: Estimate
    advantage: Estimate  # over order-consistent verdicts only
    advantage_all_pairs: Estimate  # inconsistent or unreadable verdicts scored as coin flips (0)
    by_category: dict[str, Estimate]
    unreadable: int  # verdicts the judge gave but not in the grammar asked for, even after the re-ask
    judge_failures: int = 0  # verdicts the judge model never gave
    seconds: float
    examples: int
    #: per pair, in test order: +1 / -1 for an order-consistent verdict, 0 otherwise (for intervals clustered by prompt)
    scores: list[float] = []
    modes: dict[str, int] = {}  # verdicts (one per order) read from token probabilities ("logprob") and from text ("text")


def _clip(text: str, limit: int = 1200) -> str:
    return text if len(text) <= limit else text[:limit] + " [...]"


def _teacher_pick(first: JudgeOutcome, second: JudgeOutcome) -> bool | None:
    """True / False: both orders favour the teacher / the student; None: inconsistent, abstained or unjudged.

    `first` showed the teacher as A, `second` as B.
    """
    if not (first.ok and second.ok):
        return None
    if first.positions is not None and second.positions is not None:
        pick = pairwise_verdict(first.positions, second.positions, abstain_below=ABSTAIN_BELOW).pick
        return None if pick is None else pick == "first"
    p1, p2 = _probabilities(first), _probabilities(second)
    margin = ((p1["A"] - p1["B"]) + (p2["B"] - p2["A"])) / 2
    return None if abs(margin) < ABSTAIN_BELOW else margin > 0


def _probabilities(outcome: JudgeOutcome) -> dict[str, float]:
    if outcome.mode == "logprob":
        return outcome.parsed
    return {"A": float(outcome.parsed == "A"), "B": float(outcome.parsed == "B")}


def pairwise_judge(
    runner: AnswerRunner[Model],
    judge: Model,
    prompts: Sequence[Prompt],
    teacher: Sequence[str],
    student: Sequence[str],
    examples: Sequence[tuple[str, str]],
    seed: int = 0,
    mode: JudgeMode = "auto",
) -> PairwiseJudgeResult:
    template = load_template("indist_pairwise")
    shots = [{"prompt": _clip(p, 300), "answer": _clip(a, 500)} for p, a in examples]
    items = []
    for prompt, t_text, s_text in zip(prompts, teacher, student):
        for order, (a, b) in (("ts", (t_text, s_text)), ("st", (s_text, t_text))):
            text = template.render(examples=shots, prompt=_clip(prompt.text, 800), a=_clip(a), b=_clip(b))
            items.append((item_id("indist-pairwise", order, text), text))
    outcomes = run_judge(
        runner,
        judge,
        items,
        partial(parse_choice, choices=("A", "B")),
        "<answer>A</answer> or <answer>B</answer>",
        JUDGE_SAMPLING,
        read_logprobs=choice_probabilities,
        logprob_max_tokens=LOGPROB_MAX_TOKENS,
        mode=mode,
    )
    scores, kept_scores, categories = [], [], []
    for index, prompt in enumerate(prompts):
        picks_teacher = _teacher_pick(outcomes[2 * index], outcomes[2 * index + 1])
        if picks_teacher is not None:
            value = 1.0 if picks_teacher else -1.0
            kept_scores.append(value)
            categories.append(prompt.category or "uncategorised")
            scores.append(value)
        else:
            scores.append(0.0)
    by_category: dict[str, list[float]] = {}
    for value, category in zip(kept_scores, categories):
        by_category.setdefault(category, []).append(value)
    return PairwiseJudgeResult(
        judge=judge.identity,
        pairs=len(prompts),
        consistent=len(kept_scores),
        coverage=proportion(len(kept_scores), len(prompts)),
        advantage=bootstrap_mean(kept_scores, seed=seed),
        advantage_all_pairs=bootstrap_mean(scores, seed=seed),
        by_category={c: bootstrap_mean(v, seed=seed) for c, v in sorted(by_category.items())},
        unreadable=sum(o.unreadable for o in outcomes),
        judge_failures=sum(not o.ok and not o.unreadable for o in outcomes),
        seconds=sum(o.latency_s for o in outcomes),
        examples=len(shots),
        scores=scores,
        modes=mode_counts(outcomes),
    )


def pick_examples(prompts: Sequence[Prompt], teacher: Sequence[str], k: int = 3, seed: int = 0) -> list[tuple[str, str]]:
    """A few short teacher answers from the train split, one per category where possible."""
    rng = random.Random(seed)
    order = list(range(len(prompts)))
    rng.shuffle(order)
    chosen, seen = [], set()
    for i in order:
        if prompts[i].category not in seen and 20 <= len(teacher[i]) <= 600:
            chosen.append((prompts[i].text, teacher[i]))
            seen.add(prompts[i].category)
        if len(chosen) == k:
            break
    return chosen
