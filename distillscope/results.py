"""The results file, typed: what was measured, over which prompts, by which models.

One `Results` model for every command: `audit` fills every metric it ran, and a
metric command (`similarity`, `rse`, `ice`, `indist`) is an audit restricted to
one metric, so its file has the same shape. The envelope (schema version,
package version, suite name and version, model specs, judges, sampling, seed,
config) lets a reader reproduce the numbers from the store without
regenerating anything. Verdict, report, sweep and the DataFrame view read these
objects by attribute; `read_results` refuses a schema it does not know with one
line, never a KeyError deep in the report.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from distillscope.attribution.result import AttributionResult
from distillscope.controls.judges import JudgeControl
from distillscope.controls.ladder_result import LadderResult
from distillscope.degree.result import DegreeResult
from distillscope.errors import InputFileError
from distillscope.ice.scoring import ICEResult
from distillscope.ice.strict_judge import StrictStage
from distillscope.indist.evaluate import IndistResult
from distillscope.indist.sequential import SequentialResult
from distillscope.metrics.aspects import AspectResult
from distillscope.metrics.rse import RSEResult
from distillscope.metrics.similarity import SimilarityResult
from distillscope.records import holds_lone_surrogate
from distillscope.version import __version__

SCHEMA = "distillscope.results/2"
KNOWN_SCHEMAS = (SCHEMA,)


class Example(BaseModel):
    prompt: str
    category: str
    teacher: str
    student: str
    cosine: float


class SimilaritySection(SimilarityResult):
    """Embedding and lexical similarity, the offline aspect measures, and the most and least similar pairs."""

    aspects: AspectResult | None = None
    most_similar: list[Example] = Field(default_factory=list)
    least_similar: list[Example] = Field(default_factory=list)


class ICESection(ICEResult):
    """ICE scores with who took part, the strict stage and the conflict judge's own control."""

    facts: str
    developer: str | None = None
    helper: str
    judge: str | None = None
    judge_control: JudgeControl | None = None
    strict_families: list[str] | None = None
    strict_mode: str = "extractor"
    strict_judge: StrictStage | None = None
    records: list[dict] = Field(default_factory=list)


class IndistSection(IndistResult):
    """Fixed-n indistinguishability, with the pairwise judge picked for this student and its control."""

    pairwise_judge: str | None = None
    judge_control: JudgeControl | None = None
    train_missing: int = 0


class DegreeSection(BaseModel):
    """How much the student was distilled from the teacher, read off a dose zoo's curves (`distillscope degree`).

    `status` says plainly what there is: an estimate within the calibrated range, no evidence of distillation,
    a student beyond the most distilled calibration student, or no estimate at all (no calibration zoo, no base).
    """

    status: Literal["estimated", "no_evidence", "outside", "undecided"]
    summary: str  # one line: the estimate with its interval, or why there is none
    calibration: str | None = None  # the dose zoo the curves were fitted on (None: no calibration)
    base: str | None = None
    n_prompts: int = 0  # the zoo's test prompts the student answered
    estimate: DegreeResult | None = None  # never set without a calibration: no number is made up


class Verdict(BaseModel):
    headline: str
    points: list[str]


class Skipped(BaseModel):
    """A metric that could not run for a student, and why (said in the report, never a silent gap)."""

    metric: str
    reason: str
    calls_saved: int | None = None  # judge calls not made because the measure's control showed it invalid (issue 25)


class NoAnswers(BaseModel):
    """A role that answered none of the prompts it was asked (every request failed, a replay file not covering them).

    Said in the results, the terminal and the report instead of a traceback or a silent "0 pairs";
    the other roles' results are still computed and written.
    """

    role: str  # "student" or "teacher"
    model: str
    asked: int
    failed: int
    first_failure: str | None = None

    def line(self) -> str:
        first = f"; first failure: {self.first_failure}" if self.first_failure else ""
        return f"{self.role} {self.model}: no answers ({self.failed} of {self.asked} requests failed{first})"


#: StudentResults' fields that hold no metric's result (a plugin metric of such a name lands in `plugins`)
NOT_METRICS = frozenset({"no_answers", "missing_responses", "n_test", "plugins", "skipped", "verdict"})


class StudentResults(BaseModel):
    """Every metric's typed result for one student (None: not run), a built-in metric's under its own name."""

    model_config = ConfigDict(extra="forbid")
    no_answers: NoAnswers | None = None  # set when the student (or the teacher) answered nothing: no metric could run
    missing_responses: int = 0
    n_test: int = 0
    similarity: SimilaritySection | None = None
    rse: RSEResult | None = None
    ice: ICESection | None = None
    indist: IndistSection | None = None
    sequential: SequentialResult | None = None
    attribution: AttributionResult | None = None  # which candidate, if any, taught it (`distillscope attribute`)
    degree: DegreeSection | None = None  # how much it was distilled (`distillscope degree`)
    plugins: dict[str, Any] = Field(default_factory=dict)  # metric name -> result, for a metric not built in (an entry point)
    skipped: list[Skipped] = Field(default_factory=list)
    verdict: Verdict | None = None

    def result(self, metric: str) -> Any:
        """The result of `metric` (None: not run): its field when built in, else its entry in `plugins`."""
        if metric in type(self).model_fields and metric not in NOT_METRICS:
            return getattr(self, metric)
        return self.plugins.get(metric)

    def set_result(self, metric: str, result: Any) -> None:
        """Keep `result` as `metric`'s: in its field when built in, else (as JSON-ready data) in `plugins`."""
        if metric in type(self).model_fields and metric not in NOT_METRICS:
            setattr(self, metric, result)
        elif result is not None:
            self.plugins[metric] = result.model_dump(mode="json") if isinstance(result, BaseModel) else result


class SuiteRef(BaseModel):
    name: str
    version: str


class PromptsRef(BaseModel):
    split: str = "test"
    n_test: int = 0
    n_train: int = 0
    test_ids: list[str] = Field(default_factory=list)
    train_ids: list[str] = Field(default_factory=list)


class Results(BaseModel):
    """The envelope and every student's results."""

    model_config = ConfigDict(populate_by_name=True)
    schema_: str = Field(default=SCHEMA, alias="schema")
    kind: str  # "audit", or the one metric a metric command ran
    package_version: str = ""
    created_at: str = Field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    suite: SuiteRef
    prompts: PromptsRef
    models: dict[str, Any]  # teacher, students, judge, helper, pairwise_judges
    sampling: dict[str, Any]
    seed: int
    config: dict[str, Any] = Field(default_factory=dict)
    students: dict[str, StudentResults] = Field(default_factory=dict)
    controls: LadderResult | None = None
    #: queries, tokens and money per model and in total, and `per_student` per metric (kept apart from the
    #: students' results: a re-run from the store measures the same and pays nothing)
    cost: dict[str, Any] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)

    @property
    def teacher(self) -> str | None:
        return self.models.get("teacher")

    def invalid_reason(self, measure: str) -> str | None:
        """Why the control ladder found `measure` invalid for this run; None when valid or not checked."""
        return self.controls.invalid_reason(measure) if self.controls is not None else None


def envelope(kind: str, *, suite: Any, prompts: dict, models: dict, sampling: dict, seed: int, **extra: Any) -> dict:
    """The envelope as a plain mapping, for files that are not metric results (distillation runs, sweeps, the zoo)."""
    return {
        "schema": SCHEMA,
        "kind": kind,
        "package_version": __version__,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "suite": {"name": suite.name, "version": suite.version},
        "prompts": prompts,
        "models": models,
        "sampling": sampling,
        "seed": seed,
        **extra,
    }


def write_results(path: Path, results: Results | dict) -> None:
    """Write atomically (a killed write leaves the old file whole)."""
    from distillscope.paths import atomic_write_text

    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(results, Results):
        text = results.model_dump_json(indent=2, by_alias=True)
    else:
        text = json.dumps(results, indent=2, ensure_ascii=False, default=_plain)
    atomic_write_text(path, text)  # a temporary file beside it, synced, then renamed


def _plain(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to results JSON")


def read_results(path: Path | str) -> Results:
    """A results file as `Results`; one line naming the problem for a file of another schema, kind or shape."""
    path = Path(path).expanduser()
    fix = "give a results.json written by this version of distillscope (re-running the command reuses every stored answer)"
    if path.is_dir():
        raise InputFileError(f"{path} is a directory", fix)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"cannot read results {path}: {exc.strerror}", fix) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputFileError(f"{path} is not a text file (not UTF-8)", fix) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(f"{path} is not JSON ({exc.msg} at line {exc.lineno})", fix) from None
    except (RecursionError, ValueError):  # nested deeper than Python's stack, or an integer of thousands of digits
        raise InputFileError(f"{path} is not a results file (its JSON is nested too deeply or holds an enormous number)", fix) from None
    if not isinstance(data, dict):
        raise InputFileError(f"{path} holds a JSON {type(data).__name__}, not a results object", fix)
    if holds_lone_surrogate(data):  # "\\ud800": JSON can escape it, but no report, table or UTF-8 file can hold it
        raise InputFileError(f"{path} holds a lone surrogate escape (\\ud800-\\udfff), which is not text", fix)
    schema = data.get("schema")
    if schema not in KNOWN_SCHEMAS:
        raise InputFileError(f"{path} has results schema '{schema}', which this version does not read (it reads {SCHEMA})", fix)
    try:
        return Results.model_validate(data)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"])
        raise InputFileError(f"{path} is not a complete results file ('{where}': {problem['msg']})", fix) from None
