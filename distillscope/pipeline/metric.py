"""The Metric protocol and the registry the audit and the metric commands run.

A metric says what it needs (the teacher's answers, train-split pairs, a
judge), checks its options before anything is paid for, adds its measures to
the control ladder, evaluates one student into its own pydantic result, and
contributes headline and per-category rows to the terminal summary, the HTML
report and the DataFrame view. Adding a metric: one module here, one entry in
`REGISTRY`, one field on `results.StudentResults`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

if TYPE_CHECKING:
    from distillscope.audit.config import AuditConfig
    from distillscope.pipeline.context import AuditContext, StudentContext
    from distillscope.results import Results


class Row(BaseModel):
    """One headline or per-category number of one student (the report's matrix cell, a DataFrame row)."""

    student: str
    metric: str
    mean: float
    low: float | None = None
    high: float | None = None
    n: int | None = None
    category: str | None = None
    too_few: bool = False
    invalid: str | None = None  # why the control ladder found this measure invalid
    extra: dict[str, Any] = {}


class Metric(Protocol):
    name: str
    needs_teacher: bool
    needs_prompts: bool
    needs_train: bool

    def check(self, config: "AuditConfig") -> None:
        """Refuse impossible options (one line) before any model is asked anything."""

    def ladder_measures(self, run: "AuditContext") -> dict:
        """Measures this metric puts on the control ladder (name -> callable), empty for none."""

    def evaluate(self, run: "AuditContext", student: "StudentContext") -> BaseModel | None:
        """This metric's typed result for one student."""

    def rows(self, student: str, result: Any, results: "Results") -> list[Row]:
        """Headline rows (category None) and per-category rows of one student's result."""


class MetricBase:
    """Defaults for a metric: needs the teacher's test answers, checks nothing, puts nothing on the ladder."""

    name = ""
    needs_teacher = True  # the teacher's answers to the test prompts
    needs_prompts = True  # test prompts from the suite (ICE brings its own identity questions)
    needs_train = False

    def check(self, config: "AuditConfig") -> None:
        return None

    def ladder_measures(self, run: "AuditContext") -> dict:
        return {}


def registry() -> dict[str, Metric]:
    """Every metric by name, in the order an audit runs them (imports stay inside: `--help` loads none)."""
    from distillscope.pipeline.attribution import AttributionMetric
    from distillscope.pipeline.ice import ICEMetric
    from distillscope.pipeline.indist import IndistMetric
    from distillscope.pipeline.rse import RSEMetric
    from distillscope.pipeline.sequential import SequentialMetric
    from distillscope.pipeline.similarity import SimilarityMetric

    metrics: list[Metric] = [SimilarityMetric(), RSEMetric(), ICEMetric(), IndistMetric(), SequentialMetric(), AttributionMetric()]
    return {m.name: m for m in metrics}


MIN_CATEGORY_N = 10  # a per-category cell on fewer prompts is "too few", never a finding


def estimate_row(student: str, metric: str, estimate: Any, category: str | None = None, **extra: Any) -> Row | None:
    """A row from an Estimate (None when it has no mean); per-category rows know when they rest on too few prompts."""
    if estimate is None or estimate.mean is None:
        return None
    return Row(
        student=student,
        metric=metric,
        mean=estimate.mean,
        low=estimate.low,
        high=estimate.high,
        n=estimate.n,
        category=category,
        too_few=category is not None and (estimate.n or 0) < MIN_CATEGORY_N,
        extra=extra,
    )


metric_registry = registry  # the public name (distillscope.metric_registry)
