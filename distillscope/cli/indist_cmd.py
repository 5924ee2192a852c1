"""`distillscope indist`: how well can each class of adversary tell the student from the teacher? (or `--sequential`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from distillscope.cli.options import ForceInvalid, MaxTokens, N, NTrain, Out, Progress, Samples, Seed, Split, Store, Suite, Temperature
from distillscope.cli.run_options import Alpha, Batch, MaxCost, MaxQueries, Prices, Sequential, Teacher
from distillscope.indist.registry import help_text as adversary_help

Opt = typer.Option
Adversaries = Annotated[str, Opt(help=adversary_help())]
PairwiseJudge = Annotated[Optional[str], Opt("--judge", "-j", help="pairwise judge, of a third family")]
Design = Annotated[str, Opt("--mmd-design", help="paired (swap the answers within a prompt) or split (one model per prompt)")]
Permutations = Annotated[int, Opt("--mmd-permutations", min=19, help="permutations of the MMD test")]
Epochs = Annotated[int, Opt(min=1, help="fine-tuning epochs of the encoder adversary")]


def indist(
    teacher: Teacher,
    student: Annotated[str, Opt("--student", "-s", help="the student model spec")],
    adversaries: Adversaries = "style,embed,encoder,mmd",
    judge: PairwiseJudge = None,
    force_invalid: ForceInvalid = False,
    n: N = 200,
    n_train: NTrain = 400,
    split: Split = "test",
    seed: Seed = 0,
    suite: Suite = None,
    max_tokens: MaxTokens = 256,
    temperature: Temperature = 0.0,
    samples: Samples = 1,
    mmd_design: Design = "paired",
    mmd_permutations: Permutations = 1000,
    encoder_epochs: Epochs = 3,
    out: Out = Path("indist_results.json"),
    store: Store = None,
    progress: Progress = True,
    sequential: Sequential = False,
    alpha: Alpha = None,
    max_queries: MaxQueries = None,
    batch: Batch = None,
    prices: Prices = None,
    max_cost: MaxCost = None,
) -> None:
    """Bounded indistinguishability: adversaries' advantage with CIs, q-curves, per category, and the (ε, q, t, A) table."""
    from distillscope.app.audit import execute
    from distillscope.audit.config import load_audit_config
    from distillscope.cli.options import config_values
    from distillscope.cli.run_options import price_table, sequential_settings
    from distillscope.cli.show_indist import show_indist
    from distillscope.errors import UserError

    settings = sequential_settings(sequential, alpha, max_queries, batch)
    names = [a.strip() for a in adversaries.split(",") if a.strip()]
    if "judge" in names and not judge and not sequential:
        raise UserError("the judge adversary needs a model", "pass --judge SPEC (a family other than teacher and student)")
    metric = (
        {"metrics": ["sequential"], "sequential": settings, "adversaries": None}
        if sequential
        else {"metrics": ["indist"], "adversaries": names, "sequential": None}
    )
    values = config_values(locals(), students=[student], judge=None, prices=price_table(prices), ladder_n=0, **metric)
    if judge and not sequential:
        values["pairwise_judges"] = {student: judge}
    show_indist(execute(load_audit_config(None, values), "indist-sequential" if sequential else "indist", out, progress))
    typer.echo(f"results: {out}", err=True)
