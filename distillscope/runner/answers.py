"""Answer texts per prompt through a runner: the shortcut most metrics use.

Requests are one per (prompt, sample index), so two models' answers pair up
by (prompt, sample index); a failed answer is None, never another prompt's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from distillscope.protocols import AnswerRunner
from distillscope.types import GenerationRequest, Prompt, SamplingParams

if TYPE_CHECKING:
    from distillscope.models.base import Model


def requests_for(prompts: Sequence[Prompt], sampling: SamplingParams) -> list[GenerationRequest]:
    """One request per (prompt, sample index), in prompt order."""
    return [GenerationRequest.from_prompt(p, sampling, i) for p in prompts for i in range(sampling.n)]


def answer_samples(
    runner: AnswerRunner[Model], model: Model, prompts: Sequence[Prompt], sampling: SamplingParams
) -> list[list[str | None]]:
    """The model's `sampling.n` answer texts per prompt, indexed by sample index; None where one failed.

    Generated where the store lacks them. Position j of every prompt's list is
    sample index j, so two models' answers pair up by (prompt, sample index).
    """
    texts = [r.text if r else None for r in runner.run(model, requests_for(prompts, sampling)).responses]
    n = sampling.n
    return [texts[i * n : (i + 1) * n] for i in range(len(prompts))]


def answer_texts(runner: AnswerRunner[Model], model: Model, prompts: Sequence[Prompt], sampling: SamplingParams) -> list[str | None]:
    """The model's answer text per prompt (sample index 0), aligned with `prompts`; None where it failed.

    Only sample 0 is requested, whatever `sampling.n` says, so the list never
    holds another prompt's answer; `answer_samples` gives all n per prompt.
    """
    first = sampling.model_copy(update={"n": 1})
    return [samples[0] for samples in answer_samples(runner, model, prompts, first)]
