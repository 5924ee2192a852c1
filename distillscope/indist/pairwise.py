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
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import partial

from pydantic import BaseModel

from distillscope.judges.judge import item_id, run_judge
from distillscope.judges.parsing import parse_choice
from distillscope.judges.templates import load_template
from distillscope.metrics.stats import Estimate, bootstrap_mean, proportion
from distillscope.models.base import Model
from distillscope.runner.runner import Runner
from distillscope.types import Prompt, SamplingParams

JUDGE_SAMPLING = SamplingParams(temperature=0.0, max_tokens=24)


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


def _clip(text: str, limit: int = 1200) -> str:
    return text if len(text) <= limit else text[:limit] + " [...]"


def pairwise_judge(runner: Runner, judge: Model, prompts: Sequence[Prompt], teacher: Sequence[str], student: Sequence[str],
                   examples: Sequence[tuple[str, str]], seed: int = 0) -> PairwiseJudgeResult:
    template = load_template("indist_pairwise")
    shots = [{"prompt": _clip(p, 300), "answer": _clip(a, 500)} for p, a in examples]
    items = []
    for prompt, t_text, s_text in zip(prompts, teacher, student):
        for order, (a, b) in (("ts", (t_text, s_text)), ("st", (s_text, t_text))):
            text = template.render(examples=shots, prompt=_clip(prompt.text, 800), a=_clip(a), b=_clip(b))
            items.append((item_id("indist-pairwise", order, text), text))
    outcomes = run_judge(runner, judge, items, partial(parse_choice, choices=("A", "B")),
                         "<answer>A</answer> or <answer>B</answer>", JUDGE_SAMPLING)
    scores, kept_scores, categories = [], [], []
    for index, prompt in enumerate(prompts):
        first, second = outcomes[2 * index], outcomes[2 * index + 1]
        picks_teacher = (first.parsed == "A", second.parsed == "B") if first.ok and second.ok else (None, None)
        if picks_teacher[0] is not None and picks_teacher[0] == picks_teacher[1]:
            value = 1.0 if picks_teacher[0] else -1.0
            kept_scores.append(value)
            categories.append(prompt.category or "uncategorised")
            scores.append(value)
        else:
            scores.append(0.0)
    by_category: dict[str, list[float]] = {}
    for value, category in zip(kept_scores, categories):
        by_category.setdefault(category, []).append(value)
    return PairwiseJudgeResult(
        judge=judge.identity, pairs=len(prompts), consistent=len(kept_scores),
        coverage=proportion(len(kept_scores), len(prompts)), advantage=bootstrap_mean(kept_scores, seed=seed),
        advantage_all_pairs=bootstrap_mean(scores, seed=seed),
        by_category={c: bootstrap_mean(v, seed=seed) for c, v in sorted(by_category.items())},
        unreadable=sum(o.unreadable for o in outcomes), judge_failures=sum(not o.ok and not o.unreadable for o in outcomes),
        seconds=sum(o.latency_s for o in outcomes), examples=len(shots), scores=scores,
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
