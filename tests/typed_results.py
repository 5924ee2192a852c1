"""Typed results from partial mappings, for tests that care about a few fields only.

`complete(Model, partial)` fills every required field the partial mapping leaves
out with an empty value of its type (recursively into nested models, dicts of
models and lists of models), then validates, so a test can state just the
numbers it is about and still hand verdict and report real typed objects.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel

from distillscope.results import Results, StudentResults

EMPTY = {str: "", int: 0, float: 0.0, bool: False, dict: {}, list: []}


def _empty(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(annotation)
        return None if type(None) in args else _empty(args[0])
    if origin in (list, tuple, set):
        return []
    if origin is dict:
        return {}
    if origin is typing.Literal:
        return typing.get_args(annotation)[0]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return complete(annotation, {})
    return EMPTY.get(annotation)


def _fill(annotation: Any, value: Any) -> Any:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        return _fill(models[0], value) if models and isinstance(value, dict) else value
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and isinstance(value, dict):
        return complete(annotation, value)
    if origin is dict and isinstance(value, dict) and len(args) == 2:
        return {k: _fill(args[1], v) for k, v in value.items()}
    if origin is list and isinstance(value, list) and args:
        return [_fill(args[0], v) for v in value]
    return value


def complete(model: type[BaseModel], partial: dict) -> BaseModel:
    data = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key in partial or name in partial:
            data[key] = _fill(field.annotation, partial.get(key, partial.get(name)))
        elif field.is_required():
            data[key] = _empty(field.annotation)
    return model.model_validate(data)


def student(**sections: Any) -> StudentResults:
    return complete(StudentResults, sections)


def results(students: dict[str, dict], controls: dict | None = None, **envelope: Any) -> Results:
    base = {
        "kind": "audit",
        "suite": {"name": "default", "version": "sha256:x"},
        "prompts": {"n_test": 40, "n_train": 40},
        "models": {"teacher": "mock/alpha", "students": list(students), "judge": None},
        "sampling": {},
        "seed": 0,
        "students": students,
        "controls": controls,
        **envelope,
    }
    return complete(Results, base)
