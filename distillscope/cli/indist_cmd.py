"""`distillscope indist`: how well can each class of adversary tell the student from the teacher? (or `--sequential`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from distillscope.cli.options import MaxTokens, N, NTrain, Progress, Samples, Seed, Split, Store, Suite, Temperature

Opt = typer.Option


def _adversaries(value: str, judge: str | None) -> list[str]:
    from distillscope.errors import UserError

    names = [a.strip() for a in value.split(",") if a.strip()]
    if "judge" in names and not judge:
        raise UserError("the judge adversary needs a model", "pass --judge SPEC (a family other than teacher and student)")
    return names


def indist(
    teacher: Annotated[str, Opt("--teacher", "-t", help="the teacher (reference) model spec")],
    student: Annotated[str, Opt("--student", "-s", help="the student model spec")],
    adversaries: Annotated[str, Opt(help="comma-separated: style,embed,encoder,judge,mmd")] = "style,embed,encoder,mmd",
    judge: Annotated[Optional[str], Opt("--judge", "-j", help="pairwise judge, of a third family")] = None,
    n: N = 200, n_train: NTrain = 400, split: Split = "test", seed: Seed = 0, suite: Suite = None, max_tokens: MaxTokens = 256,
    temperature: Temperature = 0.0, samples: Samples = 1,
    mmd_design: Annotated[str, Opt("--mmd-design", help="paired (swap the two answers within each prompt) or split "
                                   "(each prompt answered by one model only)")] = "paired",
    mmd_permutations: Annotated[int, Opt("--mmd-permutations", min=19, help="permutations of the MMD test")] = 1000,
    encoder_epochs: Annotated[int, Opt(min=1, help="fine-tuning epochs of the encoder adversary")] = 3,
    out: Annotated[Path, Opt("--out", "-o")] = Path("indist_results.json"), store: Store = None, progress: Progress = True,
    sequential: Annotated[bool, Opt("--sequential", help="anytime-valid test by betting: ask k prompts at a time, stop when "
                                    "distinguishable or the budget is spent (docs/sequential.md)")] = False,
    alpha: Annotated[Optional[float], Opt(min=0.0001, max=0.5, help="sequential: level; rejects when wealth reaches 1/alpha "
                                          "(default 0.05)")] = None,
    max_queries: Annotated[Optional[int], Opt("--max-queries", min=1, help="sequential: prompts asked of each model at most "
                                              "(default 200)")] = None,
    batch: Annotated[Optional[int], Opt("--batch", min=1, help="sequential: prompts asked of both models between updates")] = None,
    prices: Annotated[Optional[Path], Opt("--prices", help="YAML price table: 'provider/model: {input: USD, output: USD}' per 1M "
                                          "tokens; local models cost 0")] = None,
    max_cost: Annotated[Optional[float], Opt("--max-cost", min=0.0, help="USD; stop before spending more (needs --prices for "
                                             "API models)")] = None,
) -> None:
    """Bounded indistinguishability: adversaries' advantage with CIs, q-curves, per category, and the (ε, q, t, A) table."""
    from distillscope.audit.config import load_audit_config
    from distillscope.cli.show_indist import show_indist
    from distillscope.errors import UserError
    from distillscope.pipeline.execute import execute
    from distillscope.runner.cost import PriceTable

    given = {"alpha": alpha, "max_queries": max_queries, "batch": batch}
    if not sequential and any(v is not None for v in given.values()):
        raise UserError("--alpha, --max-queries and --batch only apply to the sequential test", "add --sequential or leave them out")
    values = {"teacher": teacher, "students": [student], "n": n, "n_train": n_train, "split": split, "seed": seed, "suite": suite,
              "max_tokens": max_tokens, "temperature": temperature, "samples": samples, "store": store, "max_cost": max_cost,
              "prices": PriceTable.load(prices).prices if prices else None}
    if sequential:
        values.update(metrics=["sequential"], sequential={k: v for k, v in given.items() if v is not None})
    else:
        values.update(metrics=["indist"], adversaries=_adversaries(adversaries, judge), mmd_design=mmd_design,
                      mmd_permutations=mmd_permutations, encoder_epochs=encoder_epochs, ladder_n=0,
                      pairwise_judges={student: judge} if judge else None)
    config = load_audit_config(None, values)
    show_indist(execute(config, "indist-sequential" if sequential else "indist", out, progress))
    typer.echo(f"results: {out}", err=True)
