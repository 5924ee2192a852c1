"""`distill` and `distill sweep` as library calls: check the settings, open one Workspace, train, measure, write.

Every setting a user can get wrong is checked before a model loads or a
teacher answer is bought. A sweep writes its results file after every run, so
a long sweep shows its table so far and a killed one loses nothing; a re-run
retrains nothing (finished trainings are found by their fingerprint) and reads
every answer from the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from distillscope.distill.results import DistillationResult, DistillConfig, SweepResults, SweepRun
from distillscope.errors import UserError

EXAMPLE = "e.g. distillscope distill --teacher builtin/qwen2.5-coder-0.5b-instruct --student builtin/gemma-3-270m --budget 300"


def distill_config(
    teacher: str | None,
    student: str | None,
    *,
    adversaries: str = "style,embed",
    epochs: int = 1,
    max_length: int = 192,
    rank: int = 8,
    learning_rate: float = 2e-4,
    **fields: Any,  # the other DistillConfig fields, as the command got them: the config validates them
) -> DistillConfig:
    """A checked DistillConfig from the command's options (adversaries comma-separated, LoRA alpha = 2 × rank)."""
    from distillscope.distill.acquisition import STRATEGIES
    from distillscope.distill.train import LoraSettings

    if not teacher or not student:
        raise UserError("distill needs --teacher and --student", EXAMPLE)
    if fields.get("judge") and fields.get("n_train") == 0:
        raise UserError("the pairwise judge needs train prompts for its examples", "drop --n-train 0 or --judge")
    strategy = fields.get("acquisition", "stratified")
    if strategy not in STRATEGIES:
        raise UserError(f"unknown acquisition strategy '{strategy}'", f"choose from {', '.join(STRATEGIES)}")
    from distillscope.indist.registry import check_adversaries

    names = [a.strip() for a in adversaries.split(",") if a.strip()]
    check_adversaries(names, learned_only=True, fix=" (and --judge SPEC)")
    lora = LoraSettings(
        epochs=epochs, max_length=max_length, seed=fields.get("seed", 0), rank=rank, alpha=2 * rank, learning_rate=learning_rate
    )
    return DistillConfig(teacher=teacher, student=student, adversaries=names, lora=lora, **fields)


def sweep_configs(
    teacher: str | None, student: str | None, budgets: str, strategies: str, seeds: str, **common: Any
) -> list[DistillConfig]:
    """One config per (budget, strategy, seed), in that order."""
    try:
        budget_list = [int(b) for b in budgets.split(",")]
        seed_list = [int(s) for s in seeds.split(",")]
    except ValueError:
        raise UserError("--budgets and --seeds take comma-separated integers", "e.g. --budgets 100,250 --seeds 0,1") from None
    return [
        distill_config(teacher, student, budget=budget, acquisition=strategy.strip(), seed=seed, **common)
        for budget in budget_list
        for strategy in strategies.split(",")
        for seed in seed_list
    ]


def require_training_extras() -> None:
    from distillscope.extras import require

    for module in ("torch", "transformers", "peft"):
        require(module, purpose="LoRA distillation")


@contextmanager
def loss_bar(enabled: bool, label: str) -> Iterator[Callable[[int, int, float], None] | None]:
    """A progress bar showing the running loss, as the training's `on_step` (None when progress is off)."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    tasks: list = []
    with Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), TextColumn("loss {task.fields[loss]}"), TimeRemainingColumn()
    ) as progress:

        def step(done: int, total: int, loss: float) -> None:
            if not tasks:
                tasks.append(progress.add_task("train", total=total, loss="-"))
            progress.update(tasks[0], completed=done, loss=f"{loss:.3f}")

        yield step


def distill(config: DistillConfig, out_dir: Path, store: Path | None = None, progress: bool = True) -> DistillationResult:
    """One distillation, measured before and after; writes OUT_DIR/distill_results.json."""
    from distillscope.distill.run import run_distillation
    from distillscope.probes.suite import load_suite
    from distillscope.results import envelope, write_results
    from distillscope.workspace import Workspace

    suite = load_suite(config.suite)
    require_training_extras()
    with Workspace(store, progress=progress, embedder="minilm") as workspace, loss_bar(progress, "LoRA") as on_step:
        result = run_distillation(config, workspace, out_dir, on_step=on_step, suite=suite)
    write_results(
        out_dir / "distill_results.json",
        envelope(
            "distill",
            suite=suite,
            prompts={"acquired": result.acquired.model_dump(), "n_test": config.n_test},
            models={"teacher": config.teacher, "student": config.student, "student_after": result.student_after},
            sampling={"temperature": 0.0, "max_tokens": config.max_tokens},
            seed=config.seed,
            results=result.model_dump(mode="json"),
        ),
    )
    return result


def sweep(configs: list[DistillConfig], out_dir: Path, store: Path | None = None, progress: bool = True) -> SweepResults:
    """Every config's distillation against one shared "before"; writes OUT_DIR/sweep_results.json after each run."""
    from distillscope.distill.run import run_distillation
    from distillscope.distill.sweep import sweep_rows
    from distillscope.probes.suite import load_suite
    from distillscope.results import envelope, write_results
    from distillscope.workspace import Workspace

    first = configs[0]
    suite = load_suite(first.suite)
    require_training_extras()
    results = SweepResults(complete=False, before=None, table=[], runs=[])
    with Workspace(store, progress=progress, embedder="minilm") as workspace:
        for config in configs:
            name = f"{config.acquisition}-{config.budget}-seed{config.seed}"
            with loss_bar(progress, f"{config.acquisition} {config.budget} seed {config.seed}") as on_step:
                outcome = run_distillation(config, workspace, out_dir / name, on_step=on_step, before=results.before, suite=suite)
            results.before = results.before or outcome.before
            results.runs.append(SweepRun(budget=config.budget, strategy=config.acquisition, seed=config.seed, **dict(outcome)))
            results.table, results.complete = sweep_rows(results.runs), len(results.runs) == len(configs)
            write_results(
                out_dir / "sweep_results.json",
                envelope(
                    "distill-sweep",
                    suite=suite,
                    prompts={"n_test": first.n_test, "test_seed": first.test_seed, "pool": first.pool_size},
                    models={"teacher": first.teacher, "student": first.student},
                    sampling={"temperature": 0.0, "max_tokens": first.max_tokens},
                    seed=first.seed,
                    results=results.model_dump(mode="json"),
                ),
            )
    return results
