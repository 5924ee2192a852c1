"""RSE, response similarity evaluation (Lee et al. 2025; methods section 2).

The judge scores how similar a student's answer is to the reference answer on
style, logical structure and content detail, 1 to 5 each. RSE is the mean
over prompts of the per-prompt mean, with bootstrap CIs overall, per aspect,
per category and per source. The order-swap control re-judges a subset with
the two answers in each other's places: a judge without position bias gives
the same scores, so the mean difference estimates that bias.

The judge's answers are read only in the grammar the template asks for
(judges/parsing.py), so some pairs stay unscored. RSE is the mean over the
scored pairs; beside it stand the failure counts and a sensitivity bound: the
mean if every unscored pair had scored 1, and if every one had scored 5. When
the bound is wide the failures, not the student, decide the number.

In logprob mode (judges/judge.py; `mode="auto"` uses it wherever the judge's
backend gives token probabilities) each aspect's score is the expected score
over the tokens 1-5 where the judge wrote it (G-Eval), so scores are no longer
whole numbers; each pair records the mode, and `modes` counts them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from distillscope.judges.judge import JudgeMode, JudgeOutcome, item_id, mode_counts, run_judge
from distillscope.judges.logprob import rse_scores
from distillscope.judges.parsing import parse_scores
from distillscope.judges.templates import load_template
from distillscope.models.base import Model
from distillscope.probes.suite import source_family
from distillscope.stats import Estimate, bootstrap_mean, grouped
from distillscope.types import Prompt

if TYPE_CHECKING:
    from distillscope.protocols import AnswerRunner

#: (prompt, reference, candidate) per pair; the judge's items are (item id, rendered judge prompt)
Triple = tuple[Prompt, str, str]
JudgeItem = tuple[str, str]

ASPECTS = ("style", "structure", "content")
# No concrete numbers: small judges copy an example's scores verbatim (seen with the built-in 0.5B model).
EXAMPLE = "<style>X</style><structure>X</structure><content>X</content> (each X a whole number from 1 to 5)"
#: logprob mode stops here: enough for "<style>4</style><structure>3</structure><content>5" (15 tokens for Qwen2.5,
#: 16 for SmolLM2, 18 for the mock), short of text mode's 96 (the whole answer, "</content>" and any chatter)
LOGPROB_MAX_TOKENS = 18


class RSEPair(BaseModel):
    prompt_id: str
    category: str
    source: str
    scores: dict[str, float] | None
    mean: float | None
    raw: str | None
    reasked: bool
    error: str | None
    mode: str | None = None  # "logprob" or "text": how the judge's scores were read


class RSESensitivity(BaseModel):
    """RSE with every unscored pair refilled by the lowest and by the highest score."""

    unscored: int  # parse failures plus pairs the judge gave no answer for
    if_all_1: Estimate
    if_all_5: Estimate


class SwapControl(BaseModel):
    """The position-bias control: a seeded subset judged again with the two answers swapped."""

    n: int = 0
    n_scored: int = 0
    mean_difference: Estimate | None = None  # swapped minus original
    mean_abs_difference: Estimate | None = None


class RSEResult(BaseModel):
    judge: str
    template: str
    n_pairs: int
    n_scored: int
    parse_failures: int  # the judge answered, but not in the grammar asked for, even after the re-ask
    judge_failures: int  # the judge model gave no answer at all
    reasked: int
    rse: Estimate  # over the scored pairs
    sensitivity: RSESensitivity
    aspects: dict[str, Estimate]
    by_category: dict[str, Estimate]
    by_source: dict[str, Estimate]
    swap_control: SwapControl
    pairs: list[RSEPair]
    modes: dict[str, int] = {}  # verdicts read from token probabilities ("logprob") and from text ("text")


def _score(outcome: JudgeOutcome) -> float | None:
    return sum(outcome.parsed.values()) / len(ASPECTS) if outcome.ok else None


def evaluate_rse(
    runner: AnswerRunner[Model],
    judge: Model,
    prompts: Sequence[Prompt],
    references: Sequence[str],
    candidates: Sequence[str],
    template: str = "rse",
    swap_n: int = 50,
    seed: int = 0,
    mode: JudgeMode = "auto",
) -> RSEResult:
    """RSE of candidates against references (same order as prompts); `mode`: auto, text or logprob."""
    jinja = load_template(template)
    judge_call = partial(_judge_call, parse=partial(parse_scores, aspects=ASPECTS), mode=mode)

    def items(pairs: Sequence[Triple]) -> list[JudgeItem]:
        out = []
        for prompt, reference, candidate in pairs:
            text = jinja.render(prompt=prompt.text, reference=reference, candidate=candidate)
            out.append((item_id(template, text), text))
        return out

    triples = list(zip(prompts, references, candidates))
    outcomes = judge_call(runner, judge, items(triples))
    pairs = [
        RSEPair(
            prompt_id=p.id,
            category=p.category,
            source=source_family(p.source),
            scores=o.parsed if o.ok else None,
            mean=_score(o),
            raw=o.raw,
            reasked=o.reasked,
            error=o.error,
            mode=o.mode,
        )
        for p, o in zip(prompts, outcomes)
    ]
    # (pair, its mean, its aspect scores) where the judge's answer was read: a mean comes with its scores
    scored = [(pair, pair.mean, pair.scores) for pair in pairs if pair.mean is not None and pair.scores is not None]
    means = [mean for _, mean, _ in scored]
    unreadable = sum(o.unreadable for o in outcomes)
    swap = _swap_control(runner, judge, triples, outcomes, items, judge_call, swap_n, seed)
    return RSEResult(
        judge=judge.identity,
        template=template,
        n_pairs=len(pairs),
        n_scored=len(scored),
        parse_failures=unreadable,
        judge_failures=len(pairs) - len(scored) - unreadable,
        reasked=sum(p.reasked for p in pairs),
        rse=bootstrap_mean(means, seed=seed),
        sensitivity=sensitivity([p.mean for p in pairs], seed=seed),
        aspects={a: bootstrap_mean([scores[a] for _, _, scores in scored], seed=seed) for a in ASPECTS},
        by_category=grouped(means, [p.category for p, _, _ in scored], seed=seed),
        by_source=grouped(means, [p.source for p, _, _ in scored], seed=seed),
        swap_control=swap,
        pairs=pairs,
        modes=mode_counts(outcomes),
    )


def _judge_call(
    runner: AnswerRunner[Model], judge: Model, items: list[JudgeItem], parse: Callable[[str], Any], mode: JudgeMode
) -> list[JudgeOutcome]:
    """One round of RSE judging, reading scores from token probabilities where the mode and backend allow."""
    return run_judge(
        runner,
        judge,
        items,
        parse,
        EXAMPLE,
        read_logprobs=partial(rse_scores, aspects=ASPECTS),
        logprob_max_tokens=LOGPROB_MAX_TOKENS,
        mode=mode,
    )


def sensitivity(means: Sequence[float | None], seed: int = 0) -> RSESensitivity:
    """The RSE if every unscored pair (None) had scored 1, and if every one had scored 5."""
    return RSESensitivity(
        unscored=sum(m is None for m in means),
        if_all_1=bootstrap_mean([1.0 if m is None else m for m in means], seed=seed),
        if_all_5=bootstrap_mean([5.0 if m is None else m for m in means], seed=seed),
    )


def _swap_control(
    runner: AnswerRunner[Model],
    judge: Model,
    triples: list[Triple],
    outcomes: list[JudgeOutcome],
    items: Callable[[Sequence[Triple]], list[JudgeItem]],
    judge_call: Callable[[AnswerRunner[Model], Model, list[JudgeItem]], list[JudgeOutcome]],
    swap_n: int,
    seed: int,
) -> SwapControl:
    """Judge a seeded subset again with reference and candidate swapped (in the same mode as the first pass)."""
    usable = [i for i, o in enumerate(outcomes) if o.ok]
    chosen = sorted(random.Random(f"{seed}:swap").sample(usable, min(swap_n, len(usable))))
    if not chosen:
        return SwapControl()
    swapped = [(triples[i][0], triples[i][2], triples[i][1]) for i in chosen]
    again = judge_call(runner, judge, items(swapped))
    diffs = [new - old for i, o in zip(chosen, again) if (new := _score(o)) is not None and (old := _score(outcomes[i])) is not None]
    return SwapControl(
        n=len(chosen),
        n_scored=len(diffs),
        mean_difference=bootstrap_mean(diffs, seed=seed),
        mean_abs_difference=bootstrap_mean([abs(d) for d in diffs], seed=seed),
    )
