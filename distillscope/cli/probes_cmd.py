"""`distillscope probes build|sample|stats|validate`: the prompt distribution (the work is in probes/)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from distillscope.cli.options import N, Seed, Split, Suite

app = typer.Typer(help="Build, sample and inspect probe suites (the stated prompt distribution).", no_args_is_help=True)


@app.command("build")
def build(out: Annotated[Path, typer.Option("--out", "-o", help="where to write the suite (.jsonl)")], seed: Seed = 0) -> None:
    """Rebuild the default suite from the source data sets (needs the `build` extra)."""
    import time

    from distillscope.paths import atomic_open, guard_outputs, require_writable_file
    from distillscope.probes.build import build_suite
    from distillscope.probes.suite import canonical_jsonl

    out = require_writable_file(out, "--out")  # checked before the (long) build
    guard_outputs({"--out": out})
    started = time.perf_counter()
    suite = build_suite(seed, name=out.name)
    with atomic_open(out, "wb") as handle:
        handle.write(canonical_jsonl([p.model_dump(exclude_none=True) for p in suite.prompts]))
    typer.echo(f"wrote {len(suite.prompts)} prompts to {out} in {time.perf_counter() - started:.1f}s; version {suite.version}", err=True)


@app.command("sample")
def sample(
    n: N,
    split: Split = "test",
    seed: Seed = 0,
    suite: Suite = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="write here instead of stdout")] = None,
) -> None:
    """Draw a stratified subset (each category keeps its share) as JSONL."""
    from distillscope.paths import atomic_open, guard_outputs, require_writable_file
    from distillscope.probes.suite import ProbeSuite, canonical_jsonl, load_suite

    if out:  # never the suite it samples, nor a store
        out = require_writable_file(out, "--out")
        guard_outputs({"--out": out}, inputs={"--suite": suite})
    chosen = ProbeSuite(name="sample", prompts=load_suite(suite).sample(n, split=split, seed=seed))
    lines = canonical_jsonl([p.model_dump(exclude_none=True) for p in chosen.prompts])
    if out:
        with atomic_open(out, "wb") as handle:
            handle.write(lines)
        typer.echo(f"wrote {len(chosen.prompts)} prompts to {out}", err=True)
    else:
        typer.echo(lines.decode("utf-8"), nl=False)


@app.command("stats")
def stats(suite: Suite = None) -> None:
    """Counts per category, split, language and source, and length percentiles."""
    from rich.console import Console
    from rich.table import Table

    from distillscope.probes.suite import load_suite, suite_stats

    s = suite_stats(load_suite(suite))
    console = Console()
    console.print(
        f"suite {s['name']}: {s['prompts']} prompts, version {s['version']}, {s['with_reference_answer']} with a reference answer"
    )
    for title, key in (("category", "by_category"), ("split", "by_split"), ("language", "by_language"), ("source", "by_source")):
        table = Table(title=f"by {title}")
        table.add_column(title)
        table.add_column("prompts", justify="right")
        for name, count in s[key].items():
            table.add_row(name, str(count))
        console.print(table)
    console.print("length in characters: " + ", ".join(f"{k} {v}" for k, v in s["length_chars"].items()))


@app.command("validate")
def validate(path: Annotated[Path, typer.Argument(help="a JSONL or CSV suite")]) -> None:
    """Check a user suite: malformed lines fail with their line number; duplicates are listed, not dropped."""
    from distillscope.probes.validation import check_suite_file

    check = check_suite_file(path)
    typer.echo(
        f"{path}: {check.prompts} prompts in {len(check.categories)} categories: "
        + ", ".join(f"{c} {n}" for c, n in check.categories.items())
    )
    for duplicate in check.duplicates:
        typer.echo(f"line {duplicate.line}: {duplicate.kind} duplicate of line {duplicate.twin}")
    if check.duplicates:
        typer.echo(f"{len(check.duplicates)} duplicate(s) kept as they are; remove them if they were not intended.", err=True)
