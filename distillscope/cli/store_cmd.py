"""`distillscope store stats|export|restore|prune|salvage`: options and printing (the work is in runner/store/admin.py,
runner/store/restore.py, runner/store/salvage.py).

Text we did not write (failure messages, which may echo what a server was
sent) is redacted and printed as plain text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from distillscope.cli.options import Store

app = typer.Typer(help="Inspect, export, restore, prune and salvage the response store.", no_args_is_help=True)


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.1f} kB"


@app.command("stats")
def stats(store: Store = None) -> None:
    """Counts and sizes of stored answers, and failures, per model."""
    from rich import box
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from distillscope.runner.store.admin import store_overview
    from distillscope.secrets import redact

    s, recent = store_overview(store)
    console = Console()
    console.print(
        f"store {escape(s.path)}: {s.responses} answers, {s.completion_tokens} completion tokens, {s.failures} recorded "
        f"failures ({s.failed_keys_without_answer} requests still unanswered), {_megabytes(s.size_bytes)} on disk",
        highlight=False,
    )
    if s.unsaved_answers:
        console.print(f"[yellow]{s.unsaved_answers} answers wait in the spill file[/yellow]; the next run imports them")
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("model", overflow="fold", ratio=1)  # folded, never cut: it is what `store prune --model` takes
    for column in ("answers", "completion tokens", "failures", "size", "newest"):
        table.add_column(column, justify="right")
    for row in s.per_model:
        table.add_row(
            escape(row["model"]),
            str(row["responses"]),
            str(row["completion_tokens"]),
            str(row["failures"]),
            _megabytes(row["bytes"]) if "bytes" in row else "-",
            (row.get("newest") or "")[:10],
        )
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
    store: Store = None,
) -> None:
    """Write stored answers (with their inputs) as JSONL or Parquet."""
    from distillscope.runner.store.admin import export_store

    count, out = export_store(store, out, model)
    typer.echo(f"exported {count} answers to {out}", err=True)


@app.command("restore")
def restore(
    file: Annotated[Path, typer.Argument(help="a JSONL file (or .jsonl.gz) written by `distillscope store export`")],
    store: Store = None,
) -> None:
    """Put a `store export` back into the store under its own keys (another machine's answers, a backup); keys
    already stored keep their answers."""
    from distillscope.runner.store.core import ResponseStore
    from distillscope.runner.store.restore import read_export, restore_rows

    rows = read_export(file.expanduser())  # a bad file is refused before the store is opened or created
    with ResponseStore(store) as response_store:
        result = restore_rows(response_store, rows)
    typer.echo(
        f"restored {result.written} of {result.rows} answers ({result.already_stored} already stored) "
        f"of {len(result.models)} models: {', '.join(result.models[:6])}{', ...' if len(result.models) > 6 else ''}",
        err=True,
    )


@app.command("prune")
def prune(
    model: Annotated[str, typer.Option("--model", "-m", help="whose answers to delete: a model spec as `store stats` lists it")],
    before: Annotated[Optional[str], typer.Option(help="only answers stored before this date (YYYY-MM-DD or an ISO time, UTC)")] = None,
    store: Store = None,
) -> None:
    """Delete a model's stored answers and failures (all, or those older than --before); the next run asks again."""
    from distillscope.runner.store.admin import prune_model

    name, removed = prune_model(store, model, before)
    when = f" stored before {before}" if before else ""
    typer.echo(f"deleted {removed.responses} answers and {removed.failures} failures of {name}{when}", err=True)


@app.command("salvage")
def salvage(
    damaged: Annotated[Path, typer.Argument(help="the damaged store file (it is only read)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="a new .sqlite store, or a .jsonl file")],
) -> None:
    """Copy every answer and failure a damaged store still holds into a fresh store (or JSONL), row by row and page by page."""
    from distillscope.runner.store.salvage import salvage_store

    r = salvage_store(damaged, out)
    how = "SQLite, then page by page" if r.sqlite_opened else "page by page (SQLite could not open it)"
    typer.echo(
        f"salvaged {r.responses} answers and {r.failures} failures from {r.source} into {r.out} ({how}: {r.from_sqlite} rows through "
        f"SQLite, {r.from_pages} more from its pages; {r.unreadable_rows} rows and {r.unreadable_pages} pages/cells unreadable)",
        err=True,
    )
