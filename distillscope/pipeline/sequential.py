"""The sequential test as a metric: ask both models k prompts at a time, stop at 1/alpha or the budget."""

from __future__ import annotations

from typing import TYPE_CHECKING

from distillscope.indist.betting import SequentialSettings
from distillscope.pipeline.metric import MetricBase, Row

if TYPE_CHECKING:
    from distillscope.indist.sequential import SequentialResult, WealthPoint
    from distillscope.pipeline.context import AuditContext, StudentContext
    from distillscope.results import Results


class SequentialMetric(MetricBase):
    name = "sequential"
    options_model = SequentialSettings
    options_optional = True  # `sequential: {...}` in the config selects the test; absent, the section is None

    def evaluate(self, run: "AuditContext", student: "StudentContext") -> "SequentialResult":
        from distillscope.indist.sequential import featurizer, run_sequential, stratified_order

        settings = run.config.sequential or SequentialSettings()
        if run.suite is None:  # never: the sequential test asks for the suite's prompts (`needs_prompts`)
            raise ValueError("the sequential test needs a probe suite")
        prompts = stratified_order(run.suite.split(run.config.split), run.config.seed)
        embedder = run.ws.embedder if "embed" in settings.features else None

        def on_batch(point: WealthPoint) -> None:
            run.ws.log(
                f"{point.queries} prompts asked, {point.pairs} pairs: wealth {point.wealth:.3g} (reject at "
                f"{1 / settings.alpha:g}), online adversaries' average advantage in [{point.online_advantage_low:.2f}, {point.online_advantage_high:.2f}]"
            )

        return run_sequential(
            run.ws.runner,
            run.needed("teacher"),
            student.model,
            prompts,
            run.sampling,
            featurizer(settings.features, embedder),
            settings,
            on_batch,
        )

    def stage_message(self, run: "AuditContext", student: "StudentContext") -> str:
        return f"sequential test of {student.model.identity}"

    def rows(self, student: str, result: "SequentialResult", results: "Results") -> list[Row]:
        return [Row(student=student, metric="sequential e-value", mean=result.e_value, n=result.pairs, extra={"decision": result.decision})]
