"""RSE as a metric: the LLM judge's 1-5 style / structure / content scores of each student against the teacher."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from distillscope.pipeline.metric import MetricBase, Row, estimate_row

if TYPE_CHECKING:
    from distillscope.audit.config import AuditConfig
    from distillscope.metrics.rse import RSEResult
    from distillscope.pipeline.context import AuditContext, StudentContext
    from distillscope.results import Results


class RSEOptions(BaseModel):
    """The audit config's `rse:` section (flat `rse_template` and `swap_n` still read)."""

    model_config = ConfigDict(extra="forbid")
    template: str = "rse"  # the judge's prompt template
    swap_n: int = Field(default=10, ge=0, description="pairs also judged in swapped order (position bias)")


class RSEMetric(MetricBase):
    name = "rse"
    options_model = RSEOptions

    def check(self, config: "AuditConfig") -> None:
        if not config.judge:
            from distillscope.errors import UserError

            raise UserError("RSE needs a judge model", "pass --judge SPEC, or leave rse out of the metrics")

    def ladder_measures(self, run: "AuditContext") -> dict:
        from distillscope.controls.judge_calls import rse_measure

        return {"rse": rse_measure(run.ws.runner, run.needed("judge"), run.config.rse.template, run.config.judge_mode)}

    def evaluate(self, run: "AuditContext", student: "StudentContext") -> "RSEResult":
        from distillscope.metrics.rse import evaluate_rse

        test, config = student.test, run.config
        return evaluate_rse(
            run.ws.runner,
            run.needed("judge"),
            test.prompts,
            test.teacher,
            test.student,
            template=config.rse.template,
            swap_n=config.rse.swap_n,
            seed=config.seed,
            mode=config.judge_mode,
        )

    def stage_message(self, run: "AuditContext", student: "StudentContext") -> str:
        return f"RSE of {student.model.identity} (judge {run.judge.identity if run.judge else '-'})"

    def rows(self, student: str, result: "RSEResult", results: "Results") -> list[Row]:
        row = estimate_row(student, "RSE (1-5)", result.rse)
        rows = [row.model_copy(update={"invalid": results.invalid_reason("rse")}) if row else None]
        bound = result.sensitivity
        if bound.unscored:  # the failures' reach: every unscored pair refilled with 1, then with 5
            rows.append(estimate_row(student, "RSE if unscored = 1", bound.if_all_1, unscored=bound.unscored))
            rows.append(estimate_row(student, "RSE if unscored = 5", bound.if_all_5, unscored=bound.unscored))
        return [r for r in rows if r]
