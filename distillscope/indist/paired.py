"""Paired answers: both models' answers to the same prompts, one row per (prompt, sample index).

Teacher and student answer the *same* prompts, and two answers to one prompt
resemble each other far more than answers to different prompts (METHODS.md
section 7). Every test and interval therefore needs to know which rows belong
to one prompt: a row pairs the teacher's and the student's sample j of one
prompt, and `clusters` names the prompt of each row. With one sample per
prompt (greedy answers) a row is a prompt and nothing changes.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field, model_validator

from distillscope.types import Prompt


class Paired(BaseModel):
    """Rows of (prompt, teacher answer, student answer, sample index); a prompt repeats once per sample index."""

    prompts: list[Prompt]
    teacher: list[str]
    student: list[str]
    #: sample index of each row (empty: every row is sample 0)
    sample_index: list[int] = Field(default_factory=list)

    @model_validator(mode="after")
    def _aligned(self) -> "Paired":
        if not self.sample_index:
            self.sample_index = [0] * len(self.prompts)
        if not len(self.prompts) == len(self.teacher) == len(self.student) == len(self.sample_index):
            raise ValueError("prompts, teacher, student and sample_index must have one entry per row")
        return self

    @property
    def clusters(self) -> list[str]:
        """The prompt id of each row: rows sharing it are not independent."""
        return [p.id for p in self.prompts]

    @property
    def n_prompts(self) -> int:
        return len(set(self.clusters))

    @property
    def samples_per_prompt(self) -> int:
        """The largest number of rows any prompt has (1 for greedy answers)."""
        counts: dict[str, int] = {}
        for cluster in self.clusters:
            counts[cluster] = counts.get(cluster, 0) + 1
        return max(counts.values(), default=0)

    def rows(self, indices: Sequence[int]) -> "Paired":
        return Paired(prompts=[self.prompts[i] for i in indices], teacher=[self.teacher[i] for i in indices],
                      student=[self.student[i] for i in indices], sample_index=[self.sample_index[i] for i in indices])

    @classmethod
    def from_answers(cls, prompts: Sequence[Prompt], teacher: Sequence[str | None | Sequence[str | None]],
                     student: Sequence[str | None | Sequence[str | None]]) -> tuple["Paired", int]:
        """Keep every (prompt, sample index) both models answered; also return how many were dropped.

        Each entry of `teacher`/`student` is one answer (sample 0) or a list of
        answers indexed by sample index (`runner.answer_samples`). Sample j of
        the teacher is paired with sample j of the student, never with another
        prompt's or another index's answer.
        """
        rows: list[tuple[Prompt, str, str, int]] = []
        dropped = 0
        for prompt, t_answers, s_answers in zip(prompts, teacher, student, strict=True):
            t_list = [t_answers] if t_answers is None or isinstance(t_answers, str) else list(t_answers)
            s_list = [s_answers] if s_answers is None or isinstance(s_answers, str) else list(s_answers)
            if len(t_list) != len(s_list):
                raise ValueError(f"prompt {prompt.id}: {len(t_list)} teacher samples but {len(s_list)} student samples")
            for index, (t_text, s_text) in enumerate(zip(t_list, s_list)):
                if t_text is None or s_text is None:
                    dropped += 1
                else:
                    rows.append((prompt, t_text, s_text, index))
        return cls(prompts=[r[0] for r in rows], teacher=[r[1] for r in rows], student=[r[2] for r in rows],
                   sample_index=[r[3] for r in rows]), dropped
