"""A zoo case (one student audited against one candidate list) and the zoo's rates over its cases.

Split from `zoo_eval.py`, which builds the cases from a zoo's manifest and
decides each against the null population; this module holds what a case is,
which cases share a recipe, and how the rates (`summarise`) are counted from
each case's rejected candidates (the simulated zoos of `simulation.py` build
the same cases). The rates:

- detection: distilled students (teacher listed) whose test names their teacher
  and no one else;
- false accusation: cases that can fail and whose answer is "none" (trained
  controls, teacher-left-out cases) in which any candidate's test rejects.
  Untouched bases are listed, never counted: each margin against itself is 0;
- wrong teacher: distilled students whose test rejects a candidate that did not teach them;
- closed-set top-1: the ranking's first candidate is a true teacher.

A dose zoo's mixture student (`fraction` < 1) learnt from two candidates: its
teacher and `rest_from`, which answered the rest of the same prompts. Both
are its teachers (`teachers_of`): naming either is no accusation, its
teacher-left-out case leaves both out, and neither enters the null population.
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


def teachers_of(student: ZooStudent) -> set[str]:
    """Every candidate whose answers trained the student: its teacher and, for a mixture, the source of the rest."""
    teachers = {student.true_teacher} if student.true_teacher else set()
    if student.fraction < 1.0 and student.rest_from:
        teachers.add(student.rest_from)
    return teachers


def taught_by(rejected: set[str], student: ZooStudent) -> bool:
    """A test outcome that names the student's teacher(s) and no one else."""
    return bool(rejected) and rejected <= teachers_of(student)


def unlisted_candidates(student: ZooStudent, candidates: dict[str, str]) -> dict[str, str] | None:
    """The audit that lists none of the student's teachers ("none" is then right); None where there is no such audit."""
    teachers = teachers_of(student)
    rest = {name: spec for name, spec in candidates.items() if name not in teachers}
    return rest if teachers and teachers & set(candidates) and rest else None


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
    named = lambda c: share(c, lambda r: taught_by(r, c.student))  # noqa: E731
    accused = lambda c: share(c, lambda r: bool(r))  # noqa: E731
    return AblationRow(
        signals=signals,
        detection=mean_share([named(c) for c in goal]),
        detection_all=mean_share([named(c) for c in distilled]),
        ranking_top1=mean_share([first[c.key] in teachers_of(c.student) for c in goal]),
        false_accusation=mean_share([accused(c) for c in controls + unlisted]),
        false_accusation_controls=mean_share([accused(c) for c in controls]),
        false_accusation_unlisted=mean_share([accused(c) for c in unlisted]),
        wrong_teacher=mean_share([share(c, lambda r: bool(r - teachers_of(c.student))) for c in distilled]),
        n_distilled=len(distilled),
        n_controls=len(controls),
        n_unlisted=len(unlisted),
    )
