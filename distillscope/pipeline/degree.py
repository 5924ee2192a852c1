"""Degree as a metric: how much each student was distilled from the teacher, read off a dose zoo (`distillscope degree`).

The calibration is a dose zoo (`distillscope zoo build --dose`) built on the
audit's teacher and the student's base: students trained on known numbers of
the teacher's answers. The student answers the zoo's test prompts under the
zoo's sampling, and its paired gain over its base is read off the zoo's curves,
fitted without the student's own recipe and seed. Without a calibration zoo
there is no number at all: the result says "undecided: no calibration".

```yaml
metrics: [degree]
degree: {calibration: zoos/dose, base: builtin/gemma-3-270m}   # or each student's base under `bases:`
```
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from distillscope.pipeline.metric import MetricBase, Row

if TYPE_CHECKING:
    from distillscope.audit.config import AuditConfig
    from distillscope.degree.result import DegreeResult
    from distillscope.pipeline.context import AuditContext, StudentContext
    from distillscope.results import DegreeSection, Results

NO_CALIBRATION = "undecided: no calibration (name a dose zoo under 'degree: {calibration: DIR}', built by `distillscope zoo build --dose`)"


class DegreeOptions(BaseModel):
    """The audit config's `degree:` section."""

    model_config = ConfigDict(extra="forbid")
    calibration: Path | None = None  # the dose zoo directory; None: no estimate, "undecided: no calibration"
    base: str | None = None  # every student's base; a student's own under the shared `bases:` wins
    resamples: int = Field(default=400, ge=20, description="resamples for the interval")
    measure: str | None = None  # the measure the dose is read off (default: the estimator's, docs/dose.md)


def base_of(config: "AuditConfig", student: str) -> str | None:
    return config.bases.get(student) or config.degree.base


class DegreeMetric(MetricBase):
    name = "degree"
    needs_teacher = False  # the teacher's answers come from the zoo's store, to the zoo's prompts
    needs_prompts = False
    options_model = DegreeOptions

    def check(self, config: "AuditConfig") -> None:
        """The zoo, its teacher and every student's base checked before any model is asked anything."""
        from distillscope.degree.student import zoo_bases, zoo_teacher
        from distillscope.errors import UserError
        from distillscope.zoo.spec import read_manifest

        zoo = config.degree.calibration
        if zoo is None:
            return  # each student's result says "undecided: no calibration"
        manifest = read_manifest(Path(zoo).expanduser())
        if not config.teacher or zoo_teacher(manifest, config.teacher) is None:
            raise UserError(
                f"the teacher {config.teacher} is no candidate of the calibration zoo {zoo} ({', '.join(manifest.candidates)})",
                "audit against a teacher of that zoo, or build a dose zoo on this teacher",
            )
        for student in config.students:
            base = base_of(config, student)
            if base is None:
                raise UserError(f"degree needs the base of {student}", "add 'degree: {base: SPEC}' or the student under 'bases:'")
            if base not in zoo_bases(manifest):
                raise UserError(
                    f"no student of the calibration zoo {zoo} has base {base}", f"give a base it has: {', '.join(zoo_bases(manifest))}"
                )

    def stage_message(self, run: "AuditContext", student: "StudentContext") -> str:
        zoo = run.config.degree.calibration
        return f"degree of {student.model.identity} " + (f"(calibration zoo {zoo})" if zoo else "(no calibration)")

    def evaluate(self, run: "AuditContext", student: "StudentContext") -> "DegreeSection":
        from distillscope.degree.student import estimate_student, zoo_teacher
        from distillscope.results import DegreeSection
        from distillscope.zoo.spec import read_manifest

        config, options = run.config, run.config.degree
        base = base_of(config, student.spec)
        if options.calibration is None:
            section = DegreeSection(status="undecided", summary=NO_CALIBRATION, base=base)
        else:
            zoo = Path(options.calibration).expanduser()
            manifest = read_manifest(zoo)
            teacher = zoo_teacher(manifest, config.teacher or "") or ""
            result, n_prompts = estimate_student(zoo, manifest, teacher, base or "", student.spec, options.resamples, options.measure)
            status, summary = outcome(result)
            section = DegreeSection(status=status, summary=summary, calibration=str(zoo), base=base, n_prompts=n_prompts, estimate=result)
        run.ws.log(f"degree of {student.model.identity}: {section.summary}")
        return section

    def rows(self, student: str, result: "DegreeSection", results: "Results") -> list[Row]:
        """The estimate with its interval, per series; none outside the calibrated range or without an estimate."""
        rows, estimate = [], result.estimate
        if estimate is None:
            return []
        if estimate.budget is not None and estimate.budget.status != "above_max":
            point, low, high = estimate.budget.teacher_answers
            rows.append(Row(student=student, metric="degree: teacher answers", mean=point, low=low, high=high, n=result.n_prompts))
        if estimate.fraction is not None and estimate.fraction.status != "above_max":
            f = estimate.fraction
            rows.append(Row(student=student, metric="degree: teacher's share", mean=f.point, low=f.low, high=f.high, n=result.n_prompts))
        return rows


Status = Literal["estimated", "no_evidence", "outside", "undecided"]


def outcome(result: "DegreeResult") -> tuple[Status, str]:
    """(status, one line) of an estimate: outside the calibrated range, no evidence, an estimate, or nothing to read off."""
    series = [e for e in (result.budget, result.fraction) if e is not None]
    if not series:
        return "undecided", "undecided: the calibration zoo has fewer than two doses for this teacher and base"
    outside = "outside the calibrated range: "
    lines = "; ".join(f"{e.series}: {e.message.removeprefix(outside)}" for e in series)
    if any(e.status == "above_max" for e in series):  # more distilled than any calibration student: no number past it
        return "outside", outside + lines
    if all(e.status == "no_evidence" for e in series):
        return "no_evidence", "no evidence of distillation: the interval reaches dose 0 on every series"
    return "estimated", lines
