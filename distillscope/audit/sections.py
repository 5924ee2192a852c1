"""Each metric's section of the audit config, checked against the metric's own options model.

A metric owns its options (`options_model` on the metric, see `pipeline/metric.py`),
and the config holds one section per metric under the metric's name
(`ice: {budget: 50}`), so a new metric, a plugin's too, brings its section
without an edit to `AuditConfig`. The flat keys of earlier versions
(`ice_budget: 50`, `--ice-budget 50`) keep working: `LEGACY` maps each into its
section, in this one place; a flat key and its nested twin that disagree are
refused rather than one silently winning.
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError

#: flat key of earlier versions -> (metric section, its key there)
LEGACY: dict[str, tuple[str, str]] = {
    "rse_template": ("rse", "template"),
    "swap_n": ("rse", "swap_n"),
    "ice_budget": ("ice", "budget"),
    "ice_questions_per_iteration": ("ice", "questions_per_iteration"),
    "ice_reward": ("ice", "reward"),
    "ice_templates": ("ice", "templates"),
    "ice_library": ("ice", "library"),
    "strict_families": ("ice", "strict_families"),
    "strict_judge": ("ice", "strict_judge"),
    "adversaries": ("indist", "adversaries"),
    "n_train": ("indist", "n_train"),
    "mmd_design": ("indist", "mmd_design"),
    "mmd_permutations": ("indist", "mmd_permutations"),
    "encoder_epochs": ("indist", "encoder_epochs"),
    "candidates": ("attribution", "candidates"),
    "attribution_calibration": ("attribution", "calibration"),
    "attribution_alpha": ("attribution", "alpha"),
}


class NoOptions(BaseModel):
    """The options of a metric that has none: an empty section, and any key in it refused."""

    model_config = ConfigDict(extra="forbid")


def section_models() -> dict[str, tuple[type[BaseModel], bool]]:
    """Per metric name: its options model, and whether its section is absent (None) unless given."""
    from distillscope.audit.metric_table import METRICS, load_metric  # the one place the config asks which metrics exist

    metrics = {name: load_metric(name) for name in METRICS.names()}
    # a plugin written against the bare protocol may declare neither: an empty section, present by default
    return {
        name: (getattr(metric, "options_model", NoOptions), bool(getattr(metric, "options_optional", False)))
        for name, metric in metrics.items()
    }


def problem(message: str, fix: str) -> PydanticCustomError:
    """A config error `validate_config` shows as one line: `message`, then how to fix it."""
    return PydanticCustomError("config_problem", "{message}", {"message": message, "fix": fix})


def nest_legacy(data: dict) -> dict:
    """`data` with every flat legacy key moved into its metric's section."""
    out = dict(data)
    for flat, (section, key) in LEGACY.items():
        if flat not in out:
            continue
        value = out.pop(flat)
        current = out.get(section)
        if isinstance(current, BaseModel):
            current = current.model_dump(exclude_unset=True)
        current = {} if current is None else current
        if not isinstance(current, dict):
            raise problem(f"'{section}' must be a mapping of its options", f"write it as '{section}: {{{key}: ...}}'")
        if key in current and current[key] != value:
            raise problem(
                f"'{flat}' ({value!r}) and '{section}.{key}' ({current[key]!r}) disagree",
                f"give one of them ('{section}.{key}' is current)",
            )
        out[section] = {**current, key: value}
    return out


def merge(data: dict, flags: dict, fields: Iterable[str]) -> dict:
    """The config file's mapping with the command line's flags winning, key by key inside a metric's section."""
    out = dict(data)
    for key, value in flags.items():
        inside = key not in fields and isinstance(out.get(key), dict) and isinstance(value, dict)
        out[key] = {**out[key], **value} if inside else value
    return out


def validate_sections(data: dict, fields: Iterable[str]) -> dict:
    """Every metric section of `data` as its options model; a key neither a field nor a metric refused by name."""
    models, fields = section_models(), list(fields)
    known = [*fields, *models]
    for key in data:
        if key not in known:
            raise problem(f"unknown key '{key}'", _closest(str(key), known, {k: f"{s}.{f}" for k, (s, f) in LEGACY.items()}))
    out = dict(data)
    for name, (model, _) in models.items():
        value = data.get(name)
        if value is None or name in fields:
            continue
        try:
            out[name] = model.model_validate(value)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join([name, *(str(p) for p in first["loc"])])
            if first["type"] == "extra_forbidden":
                raise problem(f"unknown key '{where}'", _closest(str(first["loc"][-1]), list(model.model_fields), {})) from None
            raise problem(f"'{where}': {first['msg'].removeprefix('Value error, ')}", "correct that entry") from None
    return out


def fill_sections(extra: dict[str, Any]) -> None:
    """Each metric's section not given: its defaults (None for a section whose presence selects the metric)."""
    for name, (model, optional) in section_models().items():
        if extra.get(name) is None:
            extra[name] = None if optional else model()


def _closest(key: str, known: list[str], spelled: dict[str, str]) -> str:
    """How to fix an unknown key: the closest known key (an old flat key by its section's spelling), then every key."""
    close = get_close_matches(key, [*known, *spelled], n=1)
    hint = f"did you mean '{spelled.get(close[0], close[0])}'? Else " if close else ""
    return f"{hint}remove it or use one of {', '.join(known)}"
