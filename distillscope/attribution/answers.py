"""The answers attribution reads: every model's answer to each test prompt, and which prompts each answered.

One table serves a whole zoo: students, their bases and the candidates all
answered the same prompts (through the runner, so everything is stored and a
re-run generates nothing). A prompt a model failed on, or that a replay
teacher has no answer for, is simply missing for that model; each comparison
uses the prompts both (or all three) models answered, and says how many.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict

from distillscope.types import Prompt, SamplingParams

if TYPE_CHECKING:
    from distillscope.models.base import Model
    from distillscope.protocols import AnswerRunner


class AnswerTable(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    prompts: list[Prompt]
    #: model name -> answer per prompt (None where it has none)
    answers: dict[str, list[str | None]]

    def rows(self, *names: str) -> np.ndarray:
        """Indices of the prompts every named model answered."""
        keep = np.ones(len(self.prompts), dtype=bool)
        for name in names:
            keep &= np.asarray([a is not None for a in self.answers[name]], dtype=bool)
        return np.flatnonzero(keep)

    def texts(self, name: str, rows: Sequence[int] | np.ndarray) -> list[str]:
        answers = self.answers[name]
        return [answers[i] or "" for i in rows]

    def ids(self, rows: Sequence[int] | np.ndarray) -> list[str]:
        return [self.prompts[i].id for i in rows]


def collect_answers(
    runner: AnswerRunner[Model], models: dict[str, Model], prompts: Sequence[Prompt], sampling: SamplingParams
) -> AnswerTable:
    """Each model's answer (sample 0) to every prompt, generated only where the store lacks it.

    `models` maps a name to a loaded model; two names with the same identity are asked once.
    """
    from distillscope.runner.answers import answer_texts

    by_identity: dict[str, list[str | None]] = {}
    answers: dict[str, list[str | None]] = {}
    for name, model in models.items():
        if model.identity not in by_identity:
            by_identity[model.identity] = answer_texts(runner, model, prompts, sampling)
        answers[name] = by_identity[model.identity]
    return AnswerTable(prompts=list(prompts), answers=answers)
