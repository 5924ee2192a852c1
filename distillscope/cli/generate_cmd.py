"""`distillscope generate`: prompts in, stored answers out (the work is in app/generate.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from distillscope.cli.options import OptionalMaxTokens, OptionalN, OptionalSamples, OptionalSeed, OptionalTemperature, Progress, Store

N_NOTE = "note: --n is the number of prompts (a stratified sample of the file), as in every command; answers per prompt are --samples"


def generate(
    model: Annotated[str, typer.Option("--model", "-m", help="model spec (provider/name?opt=val) or a role of --config")],
    prompts: Annotated[Path, typer.Option("--prompts", "-p", help="prompts file, JSONL or CSV with a 'text' column")],
    samples: OptionalSamples = None,
    n: OptionalN = None,
    limit: Annotated[Optional[int], typer.Option(min=1, help="only the first N prompts of the file")] = None,
    temperature: OptionalTemperature = None,
    top_p: Annotated[Optional[float], typer.Option(min=0.0, max=1.0, help="nucleus sampling: probability mass kept (default 1)")] = None,
    max_tokens: OptionalMaxTokens = None,
    seed: OptionalSeed = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="write the answers as JSONL here")] = None,
    config: Annotated[Optional[Path], typer.Option(help="YAML config (roles, sampling, store); --model may then be a role")] = None,
    store: Store = None,
    refresh: Annotated[bool, typer.Option("--refresh", help="ask again and overwrite the stored answers to these requests")] = False,
    progress: Progress = True,
) -> int:
    """Ask MODEL every prompt (--samples answers each), reusing every stored answer (unless --refresh); --out writes JSONL.

    Sampling flags win over the config's `sampling:`, which wins over the defaults
    (1 sample, temperature 0, top-p 1, 256 tokens, seed 0).
    """
    from rich.console import Console
    from rich.markup import escape

    from distillscope.app import generate as generation
    from distillscope.runner.progress import summary_table

    if n is not None:
        typer.echo(N_NOTE, err=True)
    flags = {"n": samples, "temperature": temperature, "top_p": top_p, "max_tokens": max_tokens, "seed": seed}
    job = generation.prepare_generation(model, prompts, config=config, store=store, out=out, sampling_flags=flags, n=n, limit=limit)
    results, store_path = generation.run_generation([job.model], job.prompts, job.sampling, job.store, progress, refresh=refresh)
    console = Console(stderr=True)
    console.print(summary_table([r.counts for r in results]))
    console.print(f"store: {escape(str(store_path))}", highlight=False)
    if job.out:
        written = generation.write_answers_jsonl(job.out, job.prompts, results[0], job.sampling.n)
        typer.echo(f"wrote {written} answers to {job.out}" if written else f"no answers to write; {job.out} was not written", err=True)
    failed = sum(r.counts.failed for r in results)
    if failed:
        typer.echo(
            f"{failed} request(s) failed; they are listed by `distillscope store stats` and never cached. "
            "Re-run the same command to retry only those.",
            err=True,
        )
    return 1 if failed else 0
