"""The Metric protocol the audit and the metric commands run (the registry of metrics is registry.py).

A metric says what it needs (the teacher's answers, train-split pairs, a
judge), checks its options before anything is paid for, adds its measures to
the control ladder, evaluates one student into its own pydantic result, and
contributes headline and per-category rows to the terminal summary, the HTML
report and the DataFrame view. Each metric owns its options (`options_model`,
the audit config's section of the metric's name, e.g. `ice: {budget: 50}`).
Adding a metric: one module here and one entry in `registry()` (registry.py,
apart so the adapters import this module and it imports none of them); a
metric outside distillscope (a plugin) keeps its results in
`StudentResults.plugins`, read back through its `result_model`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

from distillscope.audit.sections import NoOptions

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

    @property
    def options_model(self) -> type[BaseModel]:
        """The audit config's section of this metric (`config.<name>`): a pydantic model with extra="forbid"."""

    @property
    def options_optional(self) -> bool:
        """True: the section is None unless given, and giving it selects the metric (the sequential test)."""

    @property
    def result_model(self) -> type[BaseModel] | None:
        """A plugin's typed result, read back from `StudentResults.plugins` (None: kept as the mapping it is)."""

    def check(self, config: "AuditConfig") -> None:
        """Refuse impossible options (one line) before any model is asked anything."""

    def ladder_measures(self, run: "AuditContext") -> dict:
        """Measures this metric puts on the control ladder (name -> callable), empty for none."""

    def evaluate(self, run: "AuditContext", student: "StudentContext") -> BaseModel | None:
        """This metric's typed result for one student."""

    def rows(self, student: str, result: Any, results: "Results") -> list[Row]:
        """Headline rows (category None) and per-category rows of one student's result."""

    def stage_message(self, run: "AuditContext", student: "StudentContext") -> str:
        """What the audit's progress log says when this metric starts on a student."""


class MetricBase:
    """Defaults for a metric: needs the teacher's test answers, checks nothing, puts nothing on the ladder."""

    name = ""
    needs_teacher = True  # the teacher's answers to the test prompts
    needs_prompts = True  # test prompts from the suite (ICE brings its own identity questions)
    needs_train = False
    options_model: type[BaseModel] = NoOptions
    options_optional = False
    result_model: type[BaseModel] | None = None

    def check(self, config: "AuditConfig") -> None:
        return None

    def ladder_measures(self, run: "AuditContext") -> dict:
        return {}

    def stage_message(self, run: "AuditContext", student: "StudentContext") -> str:
        return f"{self.name} of {student.model.identity}"


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
