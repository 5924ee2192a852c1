"""`distillscope probes build|sample|stats|validate`: the prompt distribution."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

app = typer.Typer(help="Build, sample and inspect probe suites (the stated prompt distribution).", no_args_is_help=True)
SuiteOption = Annotated[Optional[Path], typer.Option("--suite", help="a JSONL/CSV suite; default: the packaged one")]


@app.command("build")
def build(
    out: Annotated[Path, typer.Option("--out", "-o", help="where to write the suite (.jsonl)")],
    seed: int = 0,
) -> None:
    """Rebuild the default suite from the source data sets (needs the `build` extra)."""
    import time

    from distillscope.probes.build import build_records
    from distillscope.probes.suite import ProbeSuite
    from distillscope.types import Prompt

    started = time.perf_counter()
    suite = ProbeSuite(name=out.name, prompts=[Prompt(**r) for r in build_records(seed)])
    suite.to_jsonl(out)
    typer.echo(f"wrote {len(suite.prompts)} prompts to {out} in {time.perf_counter() - started:.1f}s; version {suite.version}", err=True)


@app.command("sample")
def sample(
    n: Annotated[int, typer.Option("--n", min=1, help="how many prompts")],
    split: Annotated[str, typer.Option(help="train, test or all")] = "test",
    seed: int = 0,
    suite: SuiteOption = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="write here instead of stdout")] = None,
) -> None:
    """Draw a stratified subset (each category keeps its share) as JSONL."""
    from distillscope.probes.suite import canonical_jsonl, load_suite

    chosen = load_suite(suite).sample(n, split=split, seed=seed)
    data = canonical_jsonl([p.model_dump(exclude_none=True) for p in chosen])
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        typer.echo(f"wrote {len(chosen)} prompts to {out}", err=True)
    else:
        typer.echo(data.decode("utf-8"), nl=False)


@app.command("stats")
def stats(suite: SuiteOption = None) -> None:
    """Counts per category, split, language and source, and length percentiles."""
    from rich.console import Console
    from rich.table import Table

    from distillscope.probes.suite import load_suite, suite_stats

    s = suite_stats(load_suite(suite))
    console = Console()
    console.print(f"suite {s['name']}: {s['prompts']} prompts, version {s['version']}, "
                  f"{s['with_reference_answer']} with a reference answer")
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
    from collections import Counter

    from distillscope.probes.loader import load_numbered_prompts
    from distillscope.probes.suite import find_duplicates

    numbered = load_numbered_prompts(path)
    duplicates = find_duplicates(numbered)
    categories = Counter(p.category for _, p in numbered)
    typer.echo(f"{path}: {len(numbered)} prompts in {len(categories)} categories: "
               + ", ".join(f"{c} {n}" for c, n in sorted(categories.items())))
    for line, twin, kind in duplicates:
        typer.echo(f"line {line}: {kind} duplicate of line {twin}")
    if duplicates:
        typer.echo(f"{len(duplicates)} duplicate(s) kept as they are; remove them if they were not intended.", err=True)
