"""Attribution as a metric: which candidate teacher, if any, taught each student (`distillscope attribute`, in the audit).

The candidates are the config's `attribution.candidates` (default: the teacher
alone); each student's base (`bases: {student: base}`, shared with `degree`) is
the reference every margin is measured against, and without one the outcome is
at best "undecided". The outcome is a test at the false-accusation rate
`attribution.alpha`; a zoo's null population (`attribution.calibration`) makes
its null "untaught"; the closed-set ranking is kept apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from distillscope.pipeline.metric import MetricBase, Row

if TYPE_CHECKING:
    from distillscope.attribution.result import AttributionResult
    from distillscope.audit.config import AuditConfig
    from distillscope.pipeline.context import AuditContext, StudentContext
    from distillscope.results import Results


class AttributionOptions(BaseModel):
    """The audit config's `attribution:` section (the flat `candidates`, `attribution_calibration`, `attribution_alpha` still read)."""

    model_config = ConfigDict(extra="forbid")
    candidates: list[str] = Field(default_factory=list)  # candidate teachers; default: the teacher
    calibration: Path | None = None  # a zoo's null population (attribution_null.json, or the zoo directory)
    alpha: float = Field(default=0.05, gt=0, lt=1)  # the attribution test's false-accusation rate


def candidates_of(config: "AuditConfig") -> list[str]:
    return list(config.attribution.candidates or ([config.teacher] if config.teacher else []))


class AttributionMetric(MetricBase):
    name = "attribution"
    options_model = AttributionOptions
    needs_teacher = False

    def check(self, config: "AuditConfig") -> None:
        from distillscope.errors import UserError

        if not candidates_of(config):
            raise UserError("attribution needs candidate teachers", "add 'candidates:' (model specs) to the audit config")
        if config.attribution.calibration is not None:
            missing = [s for s in config.students if s not in config.bases]
            if missing:
                raise UserError(f"a calibrated attribution needs the base of {missing[0]}", "add it under 'bases:' in the config")

    def evaluate(self, run: "AuditContext", student: "StudentContext") -> "AttributionResult":
        from distillscope.attribution.attribute import parse_signals
        from distillscope.attribution.run import attribute_student

        config = run.config
        return attribute_student(
            student.spec,
            candidates_of(config),
            config.bases.get(student.spec),
            run.test_prompts,
            run.sampling,
            run.ws.runner,
            {},
            parse_signals(None),
            config.attribution.calibration,
            config.seed,
            config.attribution.alpha,
        )

    def stage_message(self, run: "AuditContext", student: "StudentContext") -> str:
        return f"attribution of {student.model.identity} among {len(candidates_of(run.config))} candidates"

    def rows(self, student: str, result: "AttributionResult", results: "Results") -> list[Row]:
        """One row per candidate: its test's p-value (Holm-adjusted) when there is one, else the cosine margin."""
        rows = []
        for candidate in result.candidates:
            test, similarity = candidate.test, candidate.signals.get("similarity")
            if test is not None and test.p_adjusted is not None:
                rows.append(Row(student=student, metric=f"attribution: Holm p, {candidate.name}", mean=test.p_adjusted, n=test.n_prompts))
            elif similarity is not None and (m := similarity.margin) is not None and m.mean is not None:
                rows.append(
                    Row(
                        student=student,
                        metric=f"attribution: cosine margin over base, {candidate.name}",
                        mean=m.mean,
                        low=m.low,
                        high=m.high,
                        n=m.n,
                    )
                )
        return rows
