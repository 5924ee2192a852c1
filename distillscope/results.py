"""The results file: what was measured, over which prompts, by which models.

Every results JSON carries the same envelope (schema version, package
version, suite name and version, model specs, judge, seeds, sampling) so a
reader can reproduce it from the store without regenerating anything.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

SCHEMA = "distillscope.results/1"


def envelope(kind: str, *, suite: Any, prompts: dict, models: dict, sampling: dict, seed: int, **extra: Any) -> dict:
    from distillscope import __version__

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


def write_results(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".partial")
    temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=_plain), encoding="utf-8")
    temporary.replace(path)


def _plain(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to results JSON")
