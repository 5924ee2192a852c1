"""`distillscope distill`: one LoRA distillation, measured before and after (options only; `sweep` is in sweep_cmd.py).

The work is in app/distill.py, the tables in cli/show_distill.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from distillscope.cli.distill_options import Epochs, MaxLength, NTest, NTrain, Pool, Student, Teacher, TestSeed
from distillscope.cli.options import MaxTokens, Progress, Seed, Store, Suite
from distillscope.indist.registry import help_text as adversary_help
from distillscope.models.llamacpp_threads import prepare_openmp_for_training

app = typer.Typer(
    help="Black-box LoRA distillation of a student toward a teacher, measured before and after.",
    invoke_without_command=True,
    no_args_is_help=False,
)


@app.callback()
def distill(
    ctx: typer.Context,
    teacher: Teacher = None,
    student: Student = None,
    budget: Annotated[int, typer.Option(min=1, help="teacher queries (train prompts acquired)")] = 500,
    acquisition: Annotated[str, typer.Option(help="random, stratified or disagreement")] = "stratified",
    rounds: Annotated[int, typer.Option(min=1, help="rounds of disagreement-guided acquisition")] = 3,
    n: NTest = 100,
    max_tokens: MaxTokens = 128,
    epochs: Epochs = 1,
    max_length: MaxLength = 192,
    rank: Annotated[int, typer.Option(min=1, help="LoRA rank")] = 8,
    learning_rate: Annotated[float, typer.Option(help="LoRA learning rate")] = 2e-4,
    seed: Seed = 0,
    pool: Pool = None,
    test_seed: TestSeed = 0,
    n_train: NTrain = 100,
    suite: Suite = None,
    adversaries: Annotated[str, typer.Option(help=f"learned adversaries, {adversary_help(learned_only=True)}")] = "style,embed",
    judge: Annotated[Optional[str], typer.Option("--judge", "-j", help="pairwise judge of a third family (optional)")] = None,
    out_dir: Annotated[Path, typer.Option("--out-dir", "-o", help="adapter, merged model, checkpoint and results")] = Path("distill"),
    store: Store = None,
    progress: Progress = True,
) -> None:
    """Distill STUDENT toward TEACHER with LoRA on a query budget, and measure similarity and advantage before and after."""
    if ctx.invoked_subcommand is not None:
        return
    prepare_openmp_for_training()  # before torch or llama.cpp loads libgomp
    from distillscope.app import distill as session
    from distillscope.cli.show_distill import print_before_after

    settings = {k: v for k, v in locals().items() if k not in ("ctx", "teacher", "student", "n", "pool", "suite", "out_dir", "store")}
    settings.update(n_test=n, pool_size=pool, suite=str(suite) if suite else None)
    settings.pop("progress")
    config = session.distill_config(teacher, student, **settings)
    result = session.distill(config, out_dir, store, progress)
    print_before_after(result)
    typer.echo(f"merged model: hf/{result.training.merged_dir}\nresults: {out_dir / 'distill_results.json'}", err=True)
