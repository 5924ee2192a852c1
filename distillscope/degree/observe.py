"""A dose observation: how much closer to the teacher a student is than its base, on one measure.

A measure's per-prompt gain (`degree/measures.py`; here the chrF one,
chrF(teacher's answer, student's answer) minus chrF(teacher's answer, base's
answer)) is paired on the prompt, so the strong per-prompt effect (some
prompts make every model sound alike) cancels. Its mean is the value the
curve is fitted on; the per-prompt values let the estimator redraw the
prompts jointly for every student; p is the paired one-sided t-test that the
student is closer than its base.

Each zoo student's dose is counted relative to the teacher being asked about:
its training answers (budget) and the share of them that teacher wrote
(fraction), so a student of another teacher, or the reference control, is
the teacher's dose 0 at its budget.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from distillscope.degree.result import DoseObservation

if TYPE_CHECKING:
    from distillscope.zoo.spec import ZooStudent

MEASURE = "chrf_to_teacher_vs_base"


def paired_gain(teacher: Sequence[str | None], student: Sequence[str | None], base: Sequence[str | None]) -> list[float]:
    """Per prompt where the teacher and the base answered: chrF to the teacher, the student's minus the base's (0-100)."""
    from distillscope.lexical import chrf

    return [chrf(t, s or "") - chrf(t, b) for t, s, b in zip(teacher, student, base) if t is not None and b is not None]


def observation(name: str, recipe: str, seed: int, budget: int, fraction: float, gains: list[float]) -> DoseObservation:
    from scipy.stats import ttest_1samp

    values = np.asarray(gains, float)
    mean = float(values.mean()) if len(values) else 0.0
    se = float(values.std(ddof=1) / math.sqrt(len(values))) if len(values) > 1 else 0.0
    p = float(ttest_1samp(values, 0.0, alternative="greater").pvalue) if len(values) > 1 and se > 0 else None
    return observed(name, recipe, seed, budget, fraction, mean, se, p, values.tolist())


def observed(
    name: str,
    recipe: str,
    seed: int,
    budget: int,
    fraction: float,
    value: float,
    se: float,
    p: float | None,
    per_prompt: list[float] | None,
) -> DoseObservation:
    """A student's observation of the degree measure: its value with a normal 95% interval."""
    half = 1.96 * se
    return DoseObservation(
        student=name,
        recipe=recipe,
        seed=seed,
        budget=budget,
        fraction=fraction,
        measure=MEASURE,
        value=value,
        ci_low=value - half,
        ci_high=value + half,
        p=p,
        per_prompt=per_prompt,
    )


def teacher_share(student: ZooStudent, teacher: str) -> float:
    """The share of the student's training answers that `teacher` wrote."""
    share = student.fraction if student.true_teacher == teacher else 0.0
    return share + ((1 - student.fraction) if student.rest_from == teacher else 0.0)


def recipe_of(student: ZooStudent) -> str:
    """Seed siblings share a recipe: base, kind, teachers, budget and fraction."""
    who = student.true_teacher or student.kind
    return f"{student.base} <- {who}/{student.rest_from or '-'} f={student.fraction:g} @ {student.budget or 0}"


def seed_of(student: ZooStudent) -> int:
    """The student's seed; zoos built before manifests recorded it carry it only in the name (`-s1`)."""
    found = re.search(r"-s([0-9]+)$", student.name)
    return student.seed or (int(found.group(1)) if found else 0)
