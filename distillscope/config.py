"""A YAML file naming the roles of an audit: teacher, students, judge, helper.

```yaml
teacher: builtin/qwen2.5-coder-0.5b-instruct
students:
  - builtin/gemma-3-270m
  - spec: openai/my-student
    options: {base_url: "http://127.0.0.1:8000/v1", concurrency: 4}
judge: builtin/smollm2-135m-instruct
sampling: {temperature: 0.0, max_tokens: 256}
store: .distillscope/store.sqlite
```
A role is a spec string or a mapping with `spec` and `options`; options are
merged into the spec exactly as if written after `?`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from distillscope.errors import InputFileError
from distillscope.models.spec import ModelSpec
from distillscope.types import SamplingParams

ROLES = ("teacher", "students", "judge", "helper")


def _to_spec(value: Any) -> ModelSpec:
    if isinstance(value, ModelSpec):
        return value
    if isinstance(value, str):
        return ModelSpec.parse(value)
    if isinstance(value, dict) and "spec" in value:
        options = value.get("options") or {}
        if not isinstance(options, dict):
            raise ValueError("options must be a mapping")
        return ModelSpec.parse(str(value["spec"]), **options)
    raise ValueError("a model is a spec string or a mapping with 'spec' and optional 'options'")


class RolesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    teacher: ModelSpec | None = None
    students: list[ModelSpec] = []
    judge: ModelSpec | None = None
    helper: ModelSpec | None = None
    sampling: SamplingParams = SamplingParams()
    store: str | None = None

    @field_validator("teacher", "judge", "helper", mode="before")
    @classmethod
    def _one(cls, value: Any) -> ModelSpec | None:
        return None if value is None else _to_spec(value)

    @field_validator("students", mode="before")
    @classmethod
    def _many(cls, value: Any) -> list[ModelSpec]:
        if value is None:
            return []
        return [_to_spec(v) for v in (value if isinstance(value, list) else [value])]

    def role(self, name: str) -> ModelSpec:
        """A spec by role name (`teacher`, `judge`, `helper`, `student` or `student2`, ...)."""
        if name in ("teacher", "judge", "helper") and getattr(self, name) is not None:
            return getattr(self, name)
        if name.startswith("student"):
            suffix = name[len("student") :]
            position = int(suffix) - 1 if suffix.isdigit() else (0 if suffix in ("", "s") else -1)
            if 0 <= position < len(self.students):
                return self.students[position]
        raise InputFileError(f"the config names no model for role '{name}'", f"add '{name}' to the config")


def load_config(path: str | Path) -> RolesConfig:
    path = Path(path).expanduser()
    if not path.exists():
        raise InputFileError(f"config file {path} does not exist", "check the path")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise InputFileError(f"config file {path}{where} is not valid YAML", "fix the YAML syntax") from None
    if not isinstance(data, dict):
        raise InputFileError(f"config file {path} is not a mapping of roles", f"use keys among {', '.join(ROLES)}")
    try:
        return RolesConfig(**data)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"])
        raise InputFileError(f"config file {path}: '{where}': {problem['msg']}", "correct that entry") from None
