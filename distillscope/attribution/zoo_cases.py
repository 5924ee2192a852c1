"""A zoo case (one student audited against one candidate list) and the zoo's rates over its cases.

Split from `zoo_eval.py`, which builds the cases from a zoo's manifest and
decides each against the null population; this module holds what a case is,
which cases share a recipe, and how the rates (`summarise`) are counted from
each case's rejected candidates (the simulated zoos of `simulation.py` build
the same cases). The rates:

- detection: distilled students (teacher listed) whose test names exactly their teacher;
- false accusation: cases that can fail and whose answer is "none" (trained
  controls, teacher-left-out cases) in which any candidate's test rejects.
  Untouched bases are listed, never counted: each margin against itself is 0;
- wrong teacher: distilled students whose test rejects another candidate;
- closed-set top-1: the ranking's first candidate is the true teacher.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from distillscope.attribution.result import AblationRow

if TYPE_CHECKING:
    from distillscope.attribution.evidence import Evidence
    from distillscope.attribution.result import AttributionResult
    from distillscope.zoo.spec import ZooStudent

GOAL_BUDGET = 300  # detection and top-1 count the distilled students of at least this budget


@dataclass
class Case:
    student: ZooStudent
    listed: bool  # False: its true teacher left out of the candidates
    recipe: str
    result: AttributionResult  # uncalibrated first, then decided against the leave-one-recipe-out null
    evidence: Evidence | None

    @property
    def key(self) -> str:
        return self.student.name if self.listed else f"{self.student.name} (teacher left out)"

    @property
    def role(self) -> str:
        if self.student.kind == "base":
            return "base"
        if not self.student.true_teacher:
            return "control"
        return "distilled" if self.listed else "unlisted"


def recipe_of(student: ZooStudent) -> str:
    """Students that differ only by seed share a recipe: the base, the teacher (or kind), the budget."""
    teacher = student.true_teacher or ("none" if student.kind == "base" else re.sub(r"-s[0-9]+$", "", student.name))
    fraction = getattr(student, "fraction", 1.0)
    mixture = "" if fraction >= 1.0 else f" f={fraction:g} rest {getattr(student, 'rest_from', None)}"
    return f"{student.base} <- {teacher} @ {student.budget}{mixture} ({student.kind})"


def mean_share(values: Sequence[float]) -> float | None:
    return round(float(np.mean(values)), 4) if len(values) else None


def summarise(cases: Sequence[Case], rejected: dict[str, list[set[str]]], signals: list[str], first: dict[str, str | None]) -> AblationRow:
    """The zoo's rates from each case's rejected candidates, one set per test set (one: the point; many: resampled)."""

    def share(case: Case, hit: Callable[[set[str]], bool]) -> float:
        draws = rejected[case.key]
        return float(np.mean([hit(r) for r in draws]))

    distilled = [c for c in cases if c.role == "distilled"]
    goal = [c for c in distilled if (c.student.budget or 0) >= GOAL_BUDGET]
    controls = [c for c in cases if c.role == "control"]
    unlisted = [c for c in cases if c.role == "unlisted"]
    named = lambda c: share(c, lambda r: r == {c.student.true_teacher})  # noqa: E731
    accused = lambda c: share(c, lambda r: bool(r))  # noqa: E731
    return AblationRow(
        signals=signals,
        detection=mean_share([named(c) for c in goal]),
        detection_all=mean_share([named(c) for c in distilled]),
        ranking_top1=mean_share([first[c.key] == c.student.true_teacher for c in goal]),
        false_accusation=mean_share([accused(c) for c in controls + unlisted]),
        false_accusation_controls=mean_share([accused(c) for c in controls]),
        false_accusation_unlisted=mean_share([accused(c) for c in unlisted]),
        wrong_teacher=mean_share([share(c, lambda r: bool(r - {c.student.true_teacher})) for c in distilled]),
        n_distilled=len(distilled),
        n_controls=len(controls),
        n_unlisted=len(unlisted),
    )
