"""What an audit runs: one teacher, its suspected students, the judges, and the sizes.

`distillscope audit --config audit.yaml` reads the same fields; flags given on
the command line win over the file.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from distillscope.errors import InputFileError

METRICS = ("rse", "similarity", "ice", "indist")


class AuditConfig(BaseModel):
    teacher: str
    students: list[str] = Field(min_length=1)
    judge: str | None = None  # RSE judge and ICE conflict judge
    helper: str | None = None  # ICE template mutator; default: the judge
    pairwise_judges: dict[str, str] = Field(default_factory=dict)  # student -> judge of a third family; default: picked
    facts: dict[str, str] = Field(default_factory=dict)  # student -> fact set; built-ins know theirs
    metrics: list[str] = Field(default_factory=lambda: list(METRICS))
    adversaries: list[str] = Field(default_factory=lambda: ["style", "embed", "mmd", "judge"])
    n: int = Field(100, ge=2, description="test prompts, stratified")
    n_train: int = Field(100, ge=2, description="train prompts for the learned adversaries")
    max_tokens: int = Field(128, ge=1)
    swap_n: int = Field(10, ge=0)
    ice_budget: int = Field(100, ge=1)
    ice_questions_per_iteration: int = Field(5, ge=1)
    seed: int = 0
    store: Path | None = None


def load_audit_config(path: Path, overrides: dict) -> AuditConfig:
    import yaml

    data: dict = {}
    if path is not None:
        if not path.exists():
            raise InputFileError(f"audit config {path} does not exist", "check the path")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise InputFileError(f"audit config {path} is not valid YAML: {str(exc).splitlines()[0]}", "fix the YAML") from None
    data.update({k: v for k, v in overrides.items() if v not in (None, [], {})})
    try:
        config = AuditConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "config"
        raise InputFileError(f"audit config: {where}: {first['msg']}", "give --teacher and at least one --student, or fix the YAML") from None
    unknown = [m for m in config.metrics if m not in METRICS]
    if unknown:
        raise InputFileError(f"unknown metric '{unknown[0]}' in the audit config", f"choose from {', '.join(METRICS)}")
    return config
