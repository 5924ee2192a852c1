"""`distillscope store import FILE`: an evaluation tool's log into the store (the work is in app/store_import.py)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Optional

import typer

from distillscope.cli.options import Progress, Store


def store_import(
    file: Annotated[
        Path, typer.Argument(help="an inspect_ai log, lm-eval samples JSONL, OpenAI batch output, HF dataset, promptfoo JSON or JSONL/CSV")
    ],
    model: Annotated[
        Optional[str], typer.Option("--model", "-m", help="whose answers, where the file holds several models (as the file names it)")
    ] = None,
    format: Annotated[Optional[str], typer.Option("--format", help="the file's format (default: told by its content)")] = None,
    input: Annotated[Optional[Path], typer.Option("--input", help="an OpenAI batch's input file: the prompts of its output")] = None,
    store: Store = None,
    progress: Progress = True,
) -> None:
    """Put a log's answers into the store under its replay spec, so every command uses them without asking again."""
    from distillscope.app.store_import import import_log
    from distillscope.quiet import quiet_third_party

    if not progress:
        quiet_third_party()
    summary = import_log(store, file, format, model, input, progress)
    logging.getLogger("distillscope").info(summary.line())  # kept in the --log file
    typer.echo(summary.line(), err=True)
    typer.echo(summary.spec)
