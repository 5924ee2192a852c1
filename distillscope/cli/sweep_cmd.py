"""`distillscope distill sweep`: acquisition strategies compared at equal budgets over seeds (options only)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from distillscope.cli.distill_options import Epochs, MaxLength, NTest, NTrain, Pool, Student, Teacher, TestSeed
from distillscope.cli.options import MaxTokens, Progress, Store, Suite


def sweep(
    teacher: Teacher = None,
    student: Student = None,
    budgets: Annotated[str, typer.Option(help="comma-separated budgets")] = "100,250,500",
    strategies: Annotated[str, typer.Option(help="comma-separated strategies")] = "random,stratified,disagreement",
    seeds: Annotated[str, typer.Option(help="comma-separated seeds (at least 2 for a spread)")] = "0,1",
    n: NTest = 100,
    max_tokens: MaxTokens = 128,
    epochs: Epochs = 1,
    max_length: MaxLength = 192,
    pool: Pool = None,
    test_seed: TestSeed = 0,
    n_train: NTrain = 100,
    suite: Suite = None,
    out_dir: Annotated[Path, typer.Option("--out-dir", "-o")] = Path("distill-sweep"),
    store: Store = None,
    progress: Progress = True,
) -> None:
    """Compare acquisition strategies at equal budgets over seeds: similarity and advantage after distillation."""
    from distillscope.app import distill as session
    from distillscope.cli.show_distill import print_sweep

    suite_path = str(suite) if suite else None
    common = {"max_tokens": max_tokens, "test_seed": test_seed, "n_train": n_train, "epochs": epochs, "max_length": max_length}
    configs = session.sweep_configs(teacher, student, budgets, strategies, seeds, n_test=n, pool_size=pool, suite=suite_path, **common)
    results = session.sweep(configs, out_dir, store, progress)
    print_sweep(results)
    typer.echo(f"results: {out_dir / 'sweep_results.json'}", err=True)
