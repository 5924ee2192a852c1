"""The control ladder's texts: which prompts, the reference's answers, a resample of each, a mismatch.

Fetching is kept apart from scoring (controls.py), so the scoring stays a pure
function of texts. The prompts are a small sample stratified by category; the
mismatch is the reference's answer to another prompt of the same category; the
resample is a second request through the runner (stored and cached like every
answer), or a replay file's saved `sample_index` 1.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel

from distillscope.types import Prompt, SamplingParams

if TYPE_CHECKING:
    from distillscope.models.base import Model
    from distillscope.protocols import AnswerRunner

RESAMPLE_TEMPERATURE = 0.7


class LadderSet(BaseModel):
    """The texts on each rung for a sample of prompts, aligned by position."""

    prompts: list[Prompt]
    reference: list[str]
    resample: list[str | None]  # None where no resample could be had
    other_prompt: list[str]  # the reference's answer to a different prompt
    other_prompt_ids: list[str]
    cross_category: int = 0  # rung-3 answers that had to come from another category
    resample_source: str = "none"


def choose_ladder_prompts(
    prompts: Sequence[Prompt], answers: Sequence[str | None], n: int = 20, seed: int = 0
) -> tuple[list[tuple[int, int]], int]:
    """(prompt index, mismatched prompt index) pairs, stratified by category; and how many mismatches crossed categories.

    Categories are visited in turn so each gets about n / categories prompts;
    the mismatch is another answered prompt of the same category (one with a
    different answer text where there is one), else of any category.
    """
    rng = random.Random(f"{seed}:ladder")
    by_category: dict[str, list[int]] = defaultdict(list)
    for index, (prompt, answer) in enumerate(zip(prompts, answers)):
        if answer is not None:
            by_category[prompt.category].append(index)
    for indices in by_category.values():
        rng.shuffle(indices)
    queues = {category: list(indices) for category, indices in sorted(by_category.items())}
    chosen: list[int] = []
    while len(chosen) < n and any(queues.values()):
        for category in sorted(queues):
            if queues[category] and len(chosen) < n:
                chosen.append(queues[category].pop())
    answered = [i for indices in by_category.values() for i in indices]
    pairs, crossed = [], 0
    for index in chosen:
        same = [i for i in by_category[prompts[index].category] if i != index]
        pool = same or [i for i in answered if i != index]
        if not pool:
            continue  # a single answered prompt has nothing to be mismatched with
        crossed += not same
        different_text = [i for i in pool if answers[i] != answers[index]]
        pairs.append((index, rng.choice(sorted(different_text or pool))))
    return pairs, crossed


def ladder_answers(
    runner: AnswerRunner[Model],
    model: Model,
    prompts: Sequence[Prompt],
    reference_texts: Sequence[str | None],
    sampling: SamplingParams,
    n: int = 20,
    seed: int = 0,
) -> LadderSet:
    """The ladder's texts for `model` (the reference): its answers, a resample of each, a mismatched answer.

    The resample is a second request through the runner (temperature 0.7,
    sample index 1, so another seed), stored and cached like every answer. A
    replay reference cannot be asked again: its saved `sample_index` 1 is used
    where the file has one, and the rung is skipped where it has none.
    """
    from distillscope.models.replay import ReplayModel
    from distillscope.types import GenerationRequest

    picks, crossed = choose_ladder_prompts(prompts, reference_texts, n, seed)
    chosen = [prompts[i] for i, _ in picks]
    if isinstance(model, ReplayModel):
        index = model.index()
        present = [(f"id:{p.id}", 1) in index or (f"text:{p.text}", 1) in index for p in chosen]
        asked = [p for p, ok in zip(chosen, present) if ok]
        source = "replay sample_index 1" if asked else "none: the replay file has no sample_index 1 answers"
        resample_sampling = sampling
    else:
        present = [True] * len(chosen)
        asked = chosen
        resample_sampling = sampling.model_copy(update={"temperature": RESAMPLE_TEMPERATURE})
        source = f"generated: temperature {RESAMPLE_TEMPERATURE}, sample index 1 (seed {resample_sampling.seed_for(1)})"
    answers = iter(runner.run(model, [GenerationRequest.from_prompt(p, resample_sampling, 1) for p in asked]).responses if asked else [])
    resample = []
    for ok in present:
        response = next(answers) if ok else None
        resample.append(response.text if response is not None else None)
    if asked and all(text is None for text in resample):
        source = f"none: every resample request failed ({source})"
    return LadderSet(
        prompts=chosen,
        reference=[reference_texts[i] or "" for i, _ in picks],  # picked among the answered prompts: never empty
        resample=resample,
        other_prompt=[reference_texts[j] or "" for _, j in picks],
        other_prompt_ids=[prompts[j].id for _, j in picks],
        cross_category=crossed,
        resample_source=source,
    )
