"""`distillscope rse`: an audit restricted to RSE (an LLM judge's 1-5 style, structure and content scores)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from distillscope.cli.options import (
    ForceInvalid,
    JudgeMode,
    LadderN,
    MaxTokens,
    N,
    Out,
    Progress,
    Samples,
    Seed,
    Split,
    Store,
    Students,
    Suite,
    Temperature,
)
from distillscope.cli.run_options import Teacher

Template = Annotated[str, typer.Option(help="packaged template name or a .jinja2 file")]
SwapN = Annotated[int, typer.Option(min=0, help="pairs re-judged with the answers swapped (position-bias control)")]


def rse(
    reference: Teacher,
    student: Students,
    judge: Annotated[str, typer.Option("--judge", "-j", help="the judge model spec")],
    n: N = 200,
    split: Split = "test",
    seed: Seed = 0,
    suite: Suite = None,
    max_tokens: MaxTokens = 256,
    temperature: Temperature = 0.0,
    samples: Samples = 1,
    template: Template = "rse",
    swap_n: SwapN = 50,
    ladder_n: LadderN = 20,
    force_invalid: ForceInvalid = False,
    judge_mode: JudgeMode = "auto",
    out: Out = Path("rse_results.json"),
    store: Store = None,
    progress: Progress = True,
) -> None:
    """RSE: an LLM judge scores style, structure and content similarity (1-5) of each student to the reference."""
    from distillscope.app.audit import execute
    from distillscope.audit.config import load_audit_config
    from distillscope.cli.options import config_values
    from distillscope.cli.show_metrics import show_rse

    values = config_values(locals(), teacher=reference, students=student, rse_template=template, metrics=["rse"])
    show_rse(execute(load_audit_config(None, values), "rse", out, progress))
    typer.echo(f"results: {out}", err=True)
