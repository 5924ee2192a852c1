"""One student's degree against a dose zoo: the student's answers to the zoo's test prompts, the estimate.

Shared by `distillscope degree` and the audit's `degree` metric, so both read
the same zoo the same way: the teacher found among the zoo's candidates (by
name or spec), the calibration students of the student's base, the student
asked the zoo's prompts under the zoo's sampling (a zoo student is found by
name or spec and never fitted on its own recipe or seed).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from distillscope.degree.result import DegreeResult
    from distillscope.zoo.spec import ZooManifest


def zoo_teacher(manifest: "ZooManifest", teacher: str) -> str | None:
    """The zoo's name of `teacher` (a candidate's name or spec, options in any order), or None."""
    from distillscope.config import spec_string
    from distillscope.errors import UserError

    def same(spec: str) -> bool:
        try:
            return spec_string(spec) == spec_string(teacher)
        except (UserError, ValueError):  # a name, not a spec
            return False

    return next((name for name, spec in manifest.candidates.items() if teacher in (name, spec) or same(spec)), None)


def zoo_bases(manifest: "ZooManifest") -> list[str]:
    return sorted({s.base for s in manifest.students})


def estimate_student(
    zoo: Path, manifest: "ZooManifest", teacher_name: str, base: str, student: str, resamples: int, measure: str | None = None
) -> tuple["DegreeResult", int]:
    """(the degree of `student`, the zoo's test prompts it rests on), fitted on the zoo's students of `base`, read off
    `measure` (default: the estimator's, `degree/measures.py`)."""
    from distillscope.degree.estimator import estimate_degree
    from distillscope.degree.measures import estimator_measure, measure_observations, observe_gain
    from distillscope.degree.zoo_report import zoo_answers
    from distillscope.errors import UserError

    name, gain = estimator_measure(measure)
    member = next((s for s in manifest.students if student in (s.name, s.spec)), None)
    prompts, answers = zoo_answers(zoo, manifest, teacher_name, base, extra=None if member is not None else {"student": student})
    records = [p.model_dump() for p in prompts]
    calibration_rows = measure_observations(manifest, answers, records, teacher_name, base, {name: gain})
    if member is not None:
        target = next((o for o in calibration_rows if o.student == member.name), None)
    else:
        target = observe_gain(student, "", 0, 0, 1.0, name, gain(answers[teacher_name], answers["student"], answers[base], records))
    if target is None:
        raise UserError(f"{student} gives no value of {name} on the zoo's test prompts", "choose another --measure")
    return estimate_degree(calibration_rows, target, teacher_name, base, resamples), len(prompts)
