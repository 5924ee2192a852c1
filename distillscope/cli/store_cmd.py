"""`distillscope store stats|export|prune`: look into the response store, and clear parts of it.

`stats` and `export` only read: a read-only store is opened read-only, and a
missing one is not created. Text we did not write (failure messages, which
may echo what a server was sent) is redacted and printed as plain text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from distillscope.cli.generate_cmd import StoreOption

app = typer.Typer(help="Inspect, export and prune the response store.", no_args_is_help=True)


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.1f} kB"


@app.command("stats")
def stats(store: StoreOption = None) -> None:
    """Counts and sizes of stored answers, and failures, per model."""
    from rich import box
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from distillscope.runner.store_readonly import open_for_reading
    from distillscope.secrets import redact

    with open_for_reading(store) as response_store:
        s = response_store.stats()
        recent = response_store.failures()[-5:]
    console = Console()
    console.print(
        f"store {escape(s.path)}: {s.responses} answers, {s.completion_tokens} completion tokens, "
        f"{s.failures} recorded failures ({s.failed_keys_without_answer} requests still unanswered), "
        f"{_megabytes(s.size_bytes)} on disk",
        highlight=False,
    )
    if s.unsaved_answers:
        console.print(f"[yellow]{s.unsaved_answers} answers wait in the spill file[/yellow]; the next run imports them")
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("model", overflow="fold", ratio=1)  # folded, never cut: it is what `store prune --model` takes
    for column in ("answers", "completion tokens", "failures", "size", "newest"):
        table.add_column(column, justify="right")
    for row in s.per_model:
        newest = (row.get("newest") or "")[:10]
        table.add_row(escape(row["model"]), str(row["responses"]), str(row["completion_tokens"]), str(row["failures"]),
                      _megabytes(row["bytes"]) if "bytes" in row else "-", newest)
    console.print(table)
    for failure in recent:
        console.print(
            f"[red]failed[/red] {escape(failure.model)} prompt {escape(failure.prompt_id)}: "
            f"{escape(failure.error_type)}: {escape(redact(failure.message)[:160])}",
            highlight=False,
        )


@app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", "-o", help="a .jsonl or .parquet file")],
    model: Annotated[Optional[str], typer.Option(help="only this model (its spec)")] = None,
    store: StoreOption = None,
) -> None:
    """Write stored answers (with their inputs) as JSONL or Parquet."""
    from distillscope.errors import UserError
    from distillscope.paths import require_writable_file
    from distillscope.runner.export import export_responses
    from distillscope.runner.store_readonly import open_for_reading

    if out.suffix.lower() not in (".jsonl", ".parquet"):
        raise UserError(f"cannot export to '{out.suffix}' files", "name the output .jsonl or .parquet")
    out = require_writable_file(out, "--out")
    with open_for_reading(store) as response_store:
        count = export_responses(response_store, out, model=_stored_name(response_store, model) if model else None)
    typer.echo(f"exported {count} answers to {out}", err=True)


@app.command("prune")
def prune(
    model: Annotated[str, typer.Option("--model", "-m", help="whose answers to delete: a model spec as `store stats` lists it")],
    before: Annotated[Optional[str], typer.Option(help="only answers stored before this date (YYYY-MM-DD or an ISO time, UTC)")] = None,
    store: StoreOption = None,
) -> None:
    """Delete a model's stored answers and failures (all, or those older than --before); the next run asks again."""
    from distillscope.runner.store import ResponseStore

    with ResponseStore(store) as response_store:
        name = _stored_name(response_store, model)
        removed = response_store.prune(name, before=before)
        response_store.vacuum()
    when = f" stored before {before}" if before else ""
    typer.echo(f"deleted {removed.responses} answers and {removed.failures} failures of {name}{when}", err=True)


def _stored_name(response_store, model: str) -> str:  # noqa: ANN001
    """The name the store keeps for `model`: its identity (operational options such as rpm dropped)."""
    from distillscope.errors import UserError

    names = response_store.model_names()
    if model in names:
        return model
    identity = _identity(model)
    if identity in names:
        return identity
    known = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "") if names else "none"
    raise UserError(f"the store holds nothing for model '{identity}' (models stored: {known})",
                    "give the model as `distillscope store stats` lists it")


def _identity(model: str) -> str:
    """A spec's store identity; the backend knows its own operational options, the spec the common ones."""
    from distillscope.errors import MissingExtraError
    from distillscope.models.registry import load_model
    from distillscope.models.spec import ModelSpec

    spec = ModelSpec.parse(model)
    try:
        return load_model(spec).identity
    except MissingExtraError:
        return spec.identity()
