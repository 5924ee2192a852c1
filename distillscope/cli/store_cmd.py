"""`distillscope store stats|export`: look into the response store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from distillscope.cli.generate_cmd import StoreOption

app = typer.Typer(help="Inspect and export the response store.", no_args_is_help=True)


@app.command("stats")
def stats(store: StoreOption = None) -> None:
    """Counts of stored answers and failures, per model."""
    from rich.console import Console
    from rich.table import Table

    from distillscope.runner.store import ResponseStore

    with ResponseStore(store) as response_store:
        s = response_store.stats()
        recent = response_store.failures()[-5:]
    console = Console()
    console.print(
        f"store {s.path}: {s.responses} answers, {s.completion_tokens} completion tokens, "
        f"{s.failures} recorded failures ({s.failed_keys_without_answer} requests still unanswered), "
        f"{s.size_bytes / 1e6:.1f} MB"
    )
    table = Table()
    for column in ("model", "answers", "completion tokens", "failures"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for row in s.per_model:
        table.add_row(row["model"], str(row["responses"]), str(row["completion_tokens"]), str(row["failures"]))
    console.print(table)
    for failure in recent:
        console.print(f"[red]failed[/red] {failure.model} prompt {failure.prompt_id}: {failure.error_type}: {failure.message[:160]}")


@app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", "-o", help="a .jsonl or .parquet file")],
    model: Annotated[Optional[str], typer.Option(help="only this model (its spec)")] = None,
    store: StoreOption = None,
) -> None:
    """Write stored answers (with their inputs) as JSONL or Parquet."""
    from distillscope.errors import UserError
    from distillscope.runner.export import export_responses
    from distillscope.runner.store import ResponseStore

    if out.suffix.lower() not in (".jsonl", ".parquet"):
        raise UserError(f"cannot export to '{out.suffix}' files", "name the output .jsonl or .parquet")
    with ResponseStore(store) as response_store:
        count = export_responses(response_store, out, model=model)
    typer.echo(f"exported {count} answers to {out}", err=True)
