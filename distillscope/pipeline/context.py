"""What a metric sees: the audit's plan (prompts, sampling, roles) and one student's paired answers.

Built once per run by `pipeline.audit`; answers come through the Workspace, so
they are stored, reused on a re-run, and charged to the cost meter.

A role may have no answers at all (every request failed, a replay file that
covers none of the prompts). That is kept, with the count of failures and the
first one's message, so the audit reports "student X: no answers (...)" and
still computes every other role's results instead of crashing on empty pairs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from distillscope.records import Paired
from distillscope.types import Failure, Prompt, SamplingParams

if TYPE_CHECKING:
    from distillscope.audit.config import AuditConfig
    from distillscope.controls.ladder_result import LadderResult
    from distillscope.models.base import Model
    from distillscope.probes.suite import ProbeSuite
    from distillscope.results import NoAnswers
    from distillscope.workspace import Workspace


@dataclass
class RoleAnswers:
    """One role's answers per prompt (`sampling.n` each, None where it failed) and the failures behind the Nones."""

    texts: list[list[str | None]]
    failures: list[Failure] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return sum(text is not None for samples in self.texts for text in samples)

    def no_answers(self, role: str, model: str) -> "NoAnswers | None":
        """The note saying this role has nothing to measure, or None when it answered at least once."""
        if self.answered or not self.texts:
            return None
        from distillscope.results import NoAnswers

        asked = sum(len(samples) for samples in self.texts)
        first = self.failures[0] if self.failures else None
        return NoAnswers(
            role=role,
            model=model,
            asked=asked,
            failed=len(self.failures) or asked,
            first_failure=f"{first.error_type}: {first.message}"[:300] if first else None,
        )


def role_answers(ws: "Workspace", model: "Model", prompts: list[Prompt], sampling: SamplingParams) -> RoleAnswers:
    """`ws.answers`, keeping the failures so a role with none can be reported with the first one's cause."""
    from distillscope.runner.answers import requests_for

    if not prompts:
        return RoleAnswers([])
    result = ws.runner.run(model, requests_for(prompts, sampling))
    texts = [r.text if r else None for r in result.responses]
    n = sampling.n
    return RoleAnswers([texts[i * n : (i + 1) * n] for i in range(len(prompts))], list(result.failures))


def measured_prompts(
    suite: "ProbeSuite", split: str, n: int, n_train: int, seed: int, need_train: bool
) -> tuple[list[Prompt], list[Prompt]]:
    """(test prompts, train prompts): a stratified sample of `split`, and train prompts never among them.

    With `split` = test (the default) the train prompts are a stratified sample of
    the train split; otherwise they come from the prompts the test sample left.
    """
    test = suite.sample(n, split=split, seed=seed)
    if not need_train:
        return test, []
    if split == "test":
        return test, suite.sample(n_train, split="train", seed=seed)
    from distillscope.errors import UserError
    from distillscope.probes.suite import stratified_sample

    taken = {p.id for p in test}
    rest = [p for p in suite.split("all") if p.id not in taken]
    if len(rest) < n_train:
        raise UserError(
            f"cannot sample {n_train} train prompts from the {len(rest)} left after the test sample",
            "lower --n-train or --n, or use a larger suite",
        )
    return test, stratified_sample(rest, n_train, seed + 1)


@dataclass
class AuditContext:
    """The run's plan, shared by every metric and student."""

    config: "AuditConfig"
    ws: "Workspace"
    suite: "ProbeSuite | None"  # None: an audit of metrics that ask no suite prompts (ICE alone)
    test_prompts: list[Prompt]
    train_prompts: list[Prompt]
    sampling: SamplingParams
    teacher: "Model | None"
    judge: "Model | None"
    helper: "Model | None"
    controls: "LadderResult | None" = None
    judge_controls: dict = field(default_factory=dict)  # pairwise judge spec -> its control (shared by students)

    def needed(self, role: Literal["teacher", "judge", "helper"]) -> Model:
        """The role's model, for a metric that cannot run without it (its `check` already refused a config that lacks it)."""
        model = getattr(self, role)
        if model is None:
            from distillscope.errors import UserError

            raise UserError(f"this metric needs a {role} model", f"pass --{role} SPEC")
        return model

    @cached_property
    def teacher_test_answers(self) -> RoleAnswers:
        return role_answers(self.ws, self.teacher, self.test_prompts, self.sampling) if self.teacher else RoleAnswers([])

    @property
    def teacher_test(self) -> list[list[str | None]]:
        return self.teacher_test_answers.texts

    def teacher_no_answers(self) -> "NoAnswers | None":
        return self.teacher_test_answers.no_answers("teacher", self.teacher.identity) if self.teacher else None

    @cached_property
    def teacher_train(self) -> list[list[str | None]]:
        return self.ws.answers(self.teacher, self.train_prompts, self.sampling) if self.teacher else []

    def teacher_first_answers(self) -> list[str | None]:
        """Sample 0 of the teacher per test prompt (the control ladder's reference)."""
        return [answers[0] if answers else None for answers in self.teacher_test]


@dataclass
class StudentContext:
    """One student: its model and its answers paired with the teacher's."""

    spec: str
    model: "Model"
    run: AuditContext

    @cached_property
    def test_answers(self) -> RoleAnswers:
        run = self.run
        return role_answers(run.ws, self.model, run.test_prompts, run.sampling)

    def no_answers(self) -> "NoAnswers | None":
        """The note when this student answered none of the test prompts (asks for its answers if not yet asked)."""
        return self.test_answers.no_answers("student", self.model.identity)

    @cached_property
    def test_pairs(self) -> tuple[Paired, int]:
        """(pairs on the test prompts, pairs dropped because a model failed); asked only when a metric reads them."""
        run = self.run
        return Paired.from_answers(run.test_prompts, run.teacher_test, self.test_answers.texts)

    @property
    def test(self) -> Paired:
        return self.test_pairs[0]

    @cached_property
    def train(self) -> tuple[Paired, int]:
        run = self.run
        student = run.ws.answers(self.model, run.train_prompts, run.sampling)
        return Paired.from_answers(run.train_prompts, run.teacher_train, student)
