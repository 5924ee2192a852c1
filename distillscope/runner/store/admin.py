"""Looking into the store and clearing parts of it: what `store stats|export|prune` do.

`stats` and `export` only read: a read-only store is opened read-only and a
missing one is not created. A model is named as the user likes (a spec with
operational options such as `rpm=`, or the identity `store stats` lists) and
found by its store identity, since that is what the store keys answers by.
"""

from __future__ import annotations

from pathlib import Path

from distillscope.errors import MissingExtraError, UserError
from distillscope.paths import guard_outputs, require_writable_file
from distillscope.runner.store.core import ResponseStore
from distillscope.runner.store.export import export_responses
from distillscope.runner.store.readonly import open_for_reading
from distillscope.runner.store.stats import PruneResult, StoreStats
from distillscope.types import Failure


def store_overview(store: Path | None, recent: int = 5) -> tuple[StoreStats, list[Failure]]:
    """The store's counts and sizes per model, and its most recent failures; read-only."""

    with open_for_reading(store) as response_store:
        return response_store.stats(), response_store.failures()[-recent:]


def export_store(store: Path | None, out: Path, model: str | None = None) -> tuple[int, Path]:
    """Stored answers (with their inputs) as JSONL or Parquet; how many were written, and where."""

    if out.suffix.lower() not in (".jsonl", ".parquet"):
        raise UserError(f"cannot export to '{out.suffix}' files", "name the output .jsonl or .parquet")
    out = require_writable_file(out, "--out")
    guard_outputs({"--out": out}, store=store)
    with open_for_reading(store) as response_store:
        return export_responses(response_store, out, model=stored_name(response_store, model) if model else None), out


def prune_model(store: Path | None, model: str, before: str | None = None) -> tuple[str, PruneResult]:
    """Delete a model's answers and failures (all, or those stored before `before`), then give the space back."""
    with ResponseStore(store) as response_store:
        name = stored_name(response_store, model)
        removed = response_store.prune(name, before=before)
        response_store.vacuum()
    return name, removed


def stored_name(response_store: ResponseStore, model: str) -> str:
    """The name the store keeps for `model`: its identity (operational options such as rpm dropped)."""
    names = response_store.model_names()
    if model in names:
        return model
    identity = model_identity(model)
    if identity in names:
        return identity
    known = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "") if names else "none"
    raise UserError(
        f"the store holds nothing for model '{identity}' (models stored: {known})", "give the model as `distillscope store stats` lists it"
    )


def model_identity(model: str) -> str:
    """A spec's store identity; the backend knows its own operational options, the spec the common ones."""
    from distillscope.models.registry import load_model
    from distillscope.models.spec import ModelSpec

    spec = ModelSpec.parse(model)
    try:
        return load_model(spec).identity
    except MissingExtraError:
        return spec.identity()
