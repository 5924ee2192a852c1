"""`distillscope distill` (one LoRA distillation, before and after) and `distillscope distill sweep`: options only.

The work is in distill/session.py, the tables in cli/show_distill.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from distillscope.cli.options import MaxTokens, Progress, Seed, Store, Suite

app = typer.Typer(help="Black-box LoRA distillation of a student toward a teacher, measured before and after.",
                  invoke_without_command=True, no_args_is_help=False)

Teacher = Annotated[Optional[str], typer.Option("--teacher", "-t", help="the teacher model spec")]
Student = Annotated[Optional[str], typer.Option("--student", "-s", help="the student (local weights: builtin/, llamacpp/ or hf/)")]
NTest = Annotated[int, typer.Option("--n", "--n-test", min=4, help="test prompts measured before and after (a stratified sample)")]
Epochs = Annotated[int, typer.Option(min=1, help="LoRA training epochs")]
MaxLength = Annotated[int, typer.Option("--max-length", min=32, help="training sequence length in tokens")]
Pool = Annotated[Optional[int], typer.Option("--pool", min=1, help="buy from a stratified pool of this many train prompts "
                                             "(default: the whole train split)")]
TestSeed = Annotated[int, typer.Option("--test-seed", help="seed of the test-prompt sample (the same for every run)")]
NTrain = Annotated[int, typer.Option("--n-train", min=0, help="train prompts the adversaries learn from (never acquired; "
                                     "0 = cross-fit on the test answers)")]


@app.callback()
def distill(
    ctx: typer.Context, teacher: Teacher = None, student: Student = None,
    budget: Annotated[int, typer.Option(min=1, help="teacher queries (train prompts acquired)")] = 500,
    acquisition: Annotated[str, typer.Option(help="random, stratified or disagreement")] = "stratified",
    rounds: Annotated[int, typer.Option(min=1, help="rounds of disagreement-guided acquisition")] = 3,
    n: NTest = 100, max_tokens: MaxTokens = 128, epochs: Epochs = 1, max_length: MaxLength = 192,
    rank: Annotated[int, typer.Option(min=1, help="LoRA rank")] = 8,
    learning_rate: Annotated[float, typer.Option(help="LoRA learning rate")] = 2e-4,
    seed: Seed = 0, pool: Pool = None, test_seed: TestSeed = 0, n_train: NTrain = 100, suite: Suite = None,
    adversaries: Annotated[str, typer.Option(help="comma-separated learned adversaries: style,embed,encoder")] = "style,embed",
    judge: Annotated[Optional[str], typer.Option("--judge", "-j", help="pairwise judge of a third family (optional)")] = None,
    out_dir: Annotated[Path, typer.Option("--out-dir", "-o", help="adapter, merged model, checkpoint and results")] = Path("distill"),
    store: Store = None, progress: Progress = True,
) -> None:
    """Distill STUDENT toward TEACHER with LoRA on a query budget, and measure similarity and advantage before and after."""
    if ctx.invoked_subcommand is not None:
        return
    from distillscope.cli.show_distill import print_before_after
    from distillscope.distill import session

    config = session.distill_config(
        teacher, student, budget=budget, acquisition=acquisition, rounds=rounds, n_test=n, max_tokens=max_tokens, seed=seed,
        test_seed=test_seed, pool_size=pool, n_train=n_train, adversaries=adversaries, judge=judge,
        suite=str(suite) if suite else None, epochs=epochs, max_length=max_length, rank=rank, learning_rate=learning_rate)
    result = session.distill(config, out_dir, store, progress)
    print_before_after(result)
    typer.echo(f"merged model: hf/{result.training.merged_dir}\nresults: {out_dir / 'distill_results.json'}", err=True)


@app.command("sweep")
def sweep(
    teacher: Teacher = None, student: Student = None,
    budgets: Annotated[str, typer.Option(help="comma-separated budgets")] = "100,250,500",
    strategies: Annotated[str, typer.Option(help="comma-separated strategies")] = "random,stratified,disagreement",
    seeds: Annotated[str, typer.Option(help="comma-separated seeds (at least 2 for a spread)")] = "0,1",
    n: NTest = 100, max_tokens: MaxTokens = 128, epochs: Epochs = 1, max_length: MaxLength = 192,
    pool: Pool = None, test_seed: TestSeed = 0, n_train: NTrain = 100, suite: Suite = None,
    out_dir: Annotated[Path, typer.Option("--out-dir", "-o")] = Path("distill-sweep"),
    store: Store = None, progress: Progress = True,
) -> None:
    """Compare acquisition strategies at equal budgets over seeds: similarity and advantage after distillation."""
    from distillscope.cli.show_distill import print_sweep
    from distillscope.distill import session

    configs = session.sweep_configs(teacher, student, budgets, strategies, seeds, n_test=n, max_tokens=max_tokens,
                                    test_seed=test_seed, pool_size=pool, n_train=n_train, suite=str(suite) if suite else None,
                                    epochs=epochs, max_length=max_length)
    results = session.sweep(configs, out_dir, store, progress)
    print_sweep(results)
    typer.echo(f"results: {out_dir / 'sweep_results.json'}", err=True)
