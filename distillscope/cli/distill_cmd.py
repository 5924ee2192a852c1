"""`distillscope distill` (one LoRA distillation, before and after) and `distillscope distill sweep`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from distillscope.cli.generate_cmd import StoreOption

app = typer.Typer(help="Black-box LoRA distillation of a student toward a teacher, measured before and after.",
                  invoke_without_command=True, no_args_is_help=False)

Teacher = Annotated[Optional[str], typer.Option("--teacher", "-t", help="the teacher model spec")]
Student = Annotated[Optional[str], typer.Option("--student", "-s", help="the student (local weights: builtin/, llamacpp/ or hf/)")]
NTest = Annotated[int, typer.Option("--n-test", min=4, help="test prompts measured before and after")]
MaxTokens = Annotated[int, typer.Option("--max-tokens", min=1, help="answer length for teacher and student")]
Epochs = Annotated[int, typer.Option(min=1, help="LoRA training epochs")]
MaxLength = Annotated[int, typer.Option("--max-length", min=32, help="training sequence length in tokens")]
Pool = Annotated[Optional[int], typer.Option("--pool", min=1, help="buy from a stratified pool of this many train prompts "
                                             "(default: the whole train split)")]
TestSeed = Annotated[int, typer.Option("--test-seed", help="seed of the test-prompt sample (the same for every run)")]
NTrain = Annotated[int, typer.Option("--n-train", min=0, help="train prompts the adversaries learn from (never acquired; "
                                     "0 = cross-fit on the test answers)")]


def _prepare(store, progress: bool):  # noqa: ANN001, ANN202
    from rich.console import Console

    from distillscope.metrics.embeddings import EmbeddingCache, Embedder
    from distillscope.runner.runner import Runner
    from distillscope.runner.store import ResponseStore

    response_store = ResponseStore(store)
    console = Console(stderr=True)
    return (Runner(response_store, show_progress=progress), Embedder(cache=EmbeddingCache(response_store.path)), console,
            (lambda message: console.log(message)) if progress else (lambda message: None))


def _require_training_extras() -> None:
    from distillscope.extras import require

    for module in ("torch", "transformers", "peft"):
        require(module, purpose="LoRA distillation")


class _LossBar:
    """A rich progress bar that shows the running loss."""

    def __init__(self, enabled: bool, label: str) -> None:
        self.enabled, self.label, self.task = enabled, label, None

    def __enter__(self):  # noqa: ANN204
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.progress = Progress(TextColumn(self.label), BarColumn(), MofNCompleteColumn(),
                                     TextColumn("loss {task.fields[loss]}"), TimeRemainingColumn())
            self.progress.start()
        return self

    def step(self, step: int, total: int, loss: float) -> None:
        if not self.enabled:
            return
        if self.task is None:
            self.task = self.progress.add_task("train", total=total, loss="-")
        self.progress.update(self.task, completed=step, loss=f"{loss:.3f}")

    def __exit__(self, *exc) -> None:  # noqa: ANN002
        if self.enabled:
            self.progress.stop()


def _settings(epochs: int, max_length: int, seed: int, **extra):  # noqa: ANN003, ANN202
    from distillscope.distill.train import LoraSettings

    return LoraSettings(epochs=epochs, max_length=max_length, seed=seed, **extra)


def _missing(teacher: str | None, student: str | None) -> None:
    from distillscope.errors import UserError

    if not teacher or not student:
        raise UserError("distill needs --teacher and --student", "e.g. distillscope distill --teacher builtin/qwen2.5-coder-0.5b-instruct "
                        "--student builtin/gemma-3-270m --budget 300")


@app.callback()
def distill(
    ctx: typer.Context,
    teacher: Teacher = None,
    student: Student = None,
    budget: Annotated[int, typer.Option(min=1, help="teacher queries (train prompts acquired)")] = 500,
    acquisition: Annotated[str, typer.Option(help="random, stratified or disagreement")] = "stratified",
    rounds: Annotated[int, typer.Option(min=1, help="rounds of disagreement-guided acquisition")] = 3,
    n_test: NTest = 100,
    max_tokens: MaxTokens = 128,
    epochs: Epochs = 1,
    max_length: MaxLength = 192,
    rank: Annotated[int, typer.Option(min=1, help="LoRA rank")] = 8,
    learning_rate: Annotated[float, typer.Option(help="LoRA learning rate")] = 2e-4,
    seed: int = 0,
    pool: Pool = None,
    test_seed: TestSeed = 0,
    n_train: NTrain = 100,
    adversaries: Annotated[str, typer.Option(help="comma-separated learned adversaries: style,embed,encoder")] = "style,embed",
    judge: Annotated[Optional[str], typer.Option("--judge", "-j", help="pairwise judge of a third family (optional)")] = None,
    out_dir: Annotated[Path, typer.Option("--out-dir", "-o", help="adapter, merged model, checkpoint and results")] = Path("distill"),
    store: StoreOption = None,
    progress: bool = True,
) -> None:
    """Distill STUDENT toward TEACHER with LoRA on a query budget, and measure similarity and advantage before and after."""
    if ctx.invoked_subcommand is not None:
        return
    from distillscope.distill.acquisition import STRATEGIES
    from distillscope.distill.run import DistillConfig, run_distillation
    from distillscope.errors import UserError
    from distillscope.results import envelope, write_results

    _missing(teacher, student)
    if judge and n_train == 0:
        raise UserError("the pairwise judge needs train prompts for its examples", "drop --n-train 0 or --judge")
    if acquisition not in STRATEGIES:
        raise UserError(f"unknown acquisition strategy '{acquisition}'", f"choose from {', '.join(STRATEGIES)}")
    _require_training_extras()
    config = DistillConfig(teacher=teacher, student=student, budget=budget, acquisition=acquisition, rounds=rounds, n_test=n_test,
                           max_tokens=max_tokens, seed=seed, test_seed=test_seed, pool_size=pool, n_train=n_train,
                           adversaries=_adversaries(adversaries), judge=judge,
                           lora=_settings(epochs, max_length, seed, rank=rank, alpha=2 * rank, learning_rate=learning_rate))
    runner, embedder, console, log = _prepare(store, progress)
    with _LossBar(progress, "LoRA") as bar:
        outcome = run_distillation(config, runner, embedder, out_dir, log, on_step=bar.step)
    print_before_after(outcome)
    from distillscope.probes.suite import load_default_suite

    data = envelope("distill", suite=load_default_suite(), prompts={"acquired": outcome["acquired"], "n_test": n_test},
                    models={"teacher": teacher, "student": student, "student_after": outcome["student_after"]},
                    sampling={"temperature": 0.0, "max_tokens": max_tokens}, seed=seed, results=outcome)
    write_results(out_dir / "distill_results.json", data)
    typer.echo(f"merged model: hf/{outcome['training']['merged_dir']}\nresults: {out_dir / 'distill_results.json'}", err=True)


def _adversaries(value: str) -> list[str]:
    from distillscope.errors import UserError

    names = [a.strip() for a in value.split(",") if a.strip()]
    unknown = [a for a in names if a not in ("style", "embed", "encoder")]
    if unknown or not names:
        raise UserError(f"unknown adversary '{', '.join(unknown) or value}'", "choose from style,embed,encoder (and --judge SPEC)")
    return names


def print_before_after(outcome: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    from distillscope.metrics.stats import Estimate

    before, after = outcome["before"], outcome["after"]
    table = Table(title=f"student before vs after LoRA distillation ({outcome['acquired']['n']} teacher answers, "
                        f"{outcome['training']['steps']} steps)")
    deltas = outcome.get("differences", {})
    for column in ("", "before", "after", "Δ after − before [95% CI, paired over prompts]"):
        table.add_column(column, justify="right" if column else "left")
    delta = lambda key: Estimate(**deltas[key]).fmt() if key in deltas else "-"  # noqa: E731
    table.add_row("cosine to teacher", Estimate(**before["similarity"]["overall"]["cosine"]).fmt(),
                  Estimate(**after["similarity"]["overall"]["cosine"]).fmt(), delta("cosine"))
    for name in after["adversaries"]:
        if name in before["adversaries"]:
            table.add_row(f"advantage: {name}", Estimate(**before["adversaries"][name]["advantage"]).fmt(),
                          Estimate(**after["adversaries"][name]["advantage"]).fmt(), delta(f"advantage: {name}"))
    if after.get("judge") and before.get("judge"):
        table.add_row("advantage: judge (all pairs)", Estimate(**before["judge"]["advantage_all_pairs"]).fmt(),
                      Estimate(**after["judge"]["advantage_all_pairs"]).fmt(), delta("advantage: judge"))
    design = after["mmd"].get("design", "pooled")
    table.add_row(f"MMD p-value ({design})", f"{before['mmd']['p_value']:.4f}", f"{after['mmd']['p_value']:.4f}", "")
    table.add_row("empty student answers", f"{before['empty_answers']}/{before['n']}", f"{after['empty_answers']}/{after['n']}", "")
    for category in sorted(before["similarity"]["by_category"]):
        table.add_row(f"{category}: cosine", f"{before['similarity']['by_category'][category]['cosine']['mean']:.3f}",
                      f"{after['similarity']['by_category'].get(category, {}).get('cosine', {}).get('mean', float('nan')):.3f}", "")
    Console().print(table)


@app.command("sweep")
def sweep(
    teacher: Teacher = None,
    student: Student = None,
    budgets: Annotated[str, typer.Option(help="comma-separated budgets")] = "100,250,500",
    strategies: Annotated[str, typer.Option(help="comma-separated strategies")] = "random,stratified,disagreement",
    seeds: Annotated[str, typer.Option(help="comma-separated seeds (at least 2 for a spread)")] = "0,1",
    n_test: NTest = 100,
    max_tokens: MaxTokens = 128,
    epochs: Epochs = 1,
    max_length: MaxLength = 192,
    pool: Pool = None,
    test_seed: TestSeed = 0,
    n_train: NTrain = 100,
    out_dir: Annotated[Path, typer.Option("--out-dir", "-o")] = Path("distill-sweep"),
    store: StoreOption = None,
    progress: bool = True,
) -> None:
    """Compare acquisition strategies at equal budgets over seeds: similarity and advantage after distillation."""
    from distillscope.distill.acquisition import STRATEGIES
    from distillscope.distill.run import DistillConfig, run_distillation
    from distillscope.distill.sweep import sweep_rows
    from distillscope.errors import UserError
    from distillscope.probes.suite import load_default_suite
    from distillscope.results import envelope, write_results

    _missing(teacher, student)
    suite = load_default_suite()
    try:
        budget_list = [int(b) for b in budgets.split(",")]
        seed_list = [int(s) for s in seeds.split(",")]
    except ValueError:
        raise UserError("--budgets and --seeds take comma-separated integers", "e.g. --budgets 100,250 --seeds 0,1") from None
    strategy_list = [s.strip() for s in strategies.split(",")]
    unknown = [s for s in strategy_list if s not in STRATEGIES]
    if unknown:
        raise UserError(f"unknown acquisition strategy '{unknown[0]}'", f"choose from {', '.join(STRATEGIES)}")
    _require_training_extras()
    runner, embedder, console, log = _prepare(store, progress)
    runs, before = [], None
    for budget in budget_list:
        for strategy in strategy_list:
            for seed in seed_list:
                config = DistillConfig(teacher=teacher, student=student, budget=budget, acquisition=strategy, n_test=n_test,
                                       max_tokens=max_tokens, seed=seed, test_seed=test_seed, pool_size=pool, n_train=n_train,
                                       lora=_settings(epochs, max_length, seed))
                with _LossBar(progress, f"{strategy} {budget} seed {seed}") as bar:
                    outcome = run_distillation(config, runner, embedder, out_dir / f"{strategy}-{budget}-seed{seed}", log,
                                               on_step=bar.step, before=before)
                before = before or outcome["before"]
                runs.append({"budget": budget, "strategy": strategy, "seed": seed, **outcome})
                # written after every run, so a long sweep shows its table so far and a killed one loses nothing
                results = {"complete": len(runs) == len(budget_list) * len(strategy_list) * len(seed_list),
                           "before": before, "table": sweep_rows(runs), "runs": runs}
                write_results(out_dir / "sweep_results.json", envelope(
                    "distill-sweep", suite=suite, prompts={"n_test": n_test, "test_seed": test_seed, "pool": pool},
                    models={"teacher": teacher, "student": student}, sampling={"temperature": 0.0, "max_tokens": max_tokens},
                    seed=seed_list[0], results=results))
    print_sweep(results["table"], before)
    typer.echo(f"results: {out_dir / 'sweep_results.json'}", err=True)


def print_sweep(rows: list[dict], before: dict | None) -> None:
    from rich.console import Console
    from rich.table import Table

    from distillscope.distill.sweep import SWEEP_METRICS, metric_of

    table = Table(title="acquisition strategies at equal budgets (after distillation; mean over seeds, each seed's 95% CI)")
    table.add_column("budget", justify="right")
    table.add_column("strategy")
    for label in SWEEP_METRICS.values():
        table.add_column(label, justify="right")
        table.add_column("per seed", justify="right")
    ci = lambda e: f"{e['mean']:.3f} [{e['low']:.3f}, {e['high']:.3f}]" if e.get("low") is not None else f"{e['mean']:.3f}"  # noqa: E731
    for row in rows:
        cells = []
        for name in SWEEP_METRICS:
            cells += [f"{row[name]['mean']:.3f}", "\n".join(ci(e) for e in row[name]["per_seed"])]
        table.add_row(str(row["budget"]), row["strategy"], *cells)
    console = Console()
    console.print(table)
    if before:
        console.print("before distillation: " + ", ".join(f"{label} {ci(metric_of(before, name))}" for name, label in SWEEP_METRICS.items()))
