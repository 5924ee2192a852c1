"""`distillscope zoo build|export`: students distilled from known teachers (options and printing; logic in distillscope.zoo)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

if TYPE_CHECKING:
    from distillscope.zoo.spec import ZooManifest

app = typer.Typer(help="A zoo of students with known teachers: the ground truth attribution is checked on.", no_args_is_help=True)


def default_zoo_dir(small: bool, dose: bool = False) -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("distillscope")) / (("zoo-small" if small else "zoo") + ("-dose" if dose else ""))


@app.command("build")
def build(
    zoo_dir: Annotated[Optional[Path], typer.Option("--dir", help="where the zoo lives (default: the user cache's zoo/)")] = None,
    small: Annotated[bool, typer.Option("--small", help="tiny random models and mock teachers, in seconds (tests)")] = False,
    store: Annotated[Optional[Path], typer.Option("--store", help="response store (default: DIR/store.sqlite)")] = None,
    max_tokens: Annotated[
        Optional[int], typer.Option("--max-tokens", min=8, help="answer length, training and test (default 40; 96 with --dose)")
    ] = None,
    test_max_tokens: Annotated[
        Optional[int],
        typer.Option("--test-max-tokens", min=8, help="test answers' length where it differs from --max-tokens (training answers)"),
    ] = None,
    seeds: Annotated[
        Optional[int],
        typer.Option("--seeds", min=1, help="students per budget-300 recipe (default 1; 2 for --small): 2 doubles the build time"),
    ] = None,
    threads: Annotated[
        Optional[int], typer.Option("--threads", min=1, help="llama.cpp threads (default all); 1 is faster on a busy machine")
    ] = None,
    dose: Annotated[
        bool,
        typer.Option("--dose", help="the dose zoo for `distillscope degree`: one base at graded amounts of one teacher (docs/dose.md)"),
    ] = False,
    quick: Annotated[
        bool,
        typer.Option("--quick", help="with --dose: the ladder at the attribution zoo's scale (40 tokens, budgets up to 300; docs/dose.md)"),
    ] = False,
    reuse: Annotated[
        Optional[list[Path]],
        typer.Option(
            "--reuse",
            help="another zoo (built, or exported from any machine) whose finished trainings of the same students are reused (repeat); only read",
        ),
    ] = None,
    serve: Annotated[
        str,
        typer.Option(
            "--serve",
            help="how students and bases answer: llamacpp (built-in GGUF + LoRA adapter, batched) or hf (merged model in transformers)",
        ),
    ] = "llamacpp",
    only: Annotated[
        Optional[list[str]],
        typer.Option("--only", help="build only this student of the plan (repeat): the rest of the plan still sets every training's data"),
    ] = None,
    test_prompts: Annotated[
        Optional[int],
        typer.Option(
            "--test-prompts",
            min=1,
            help="grow the test set to N prompts (ShareGPT, then identity, from the suite's test split; every earlier answer and training reused)",
        ),
    ] = None,
    progress: bool = False,
) -> None:
    """Build the zoo (or finish a cut build, reusing every answer, checkpoint and model already made)."""
    from distillscope.errors import UserError
    from distillscope.models.llamacpp_threads import prepare_openmp_for_training

    prepare_openmp_for_training()  # before torch or llama.cpp loads libgomp
    from distillscope.extras import require
    from distillscope.runner.runner import Runner
    from distillscope.runner.store import ResponseStore
    from distillscope.zoo.build import build_zoo
    from distillscope.zoo.recipes import SERVE_BACKENDS, grow_test_set, real_plan, small_plan

    if serve not in SERVE_BACKENDS:
        raise UserError(f"--serve {serve} is not a way to serve the zoo", f"use one of {', '.join(SERVE_BACKENDS)}")
    if quick and not dose:
        raise UserError("--quick is a dose zoo's plan", "add --dose, or leave out --quick")
    from distillscope.zoo.reuse import is_reusable

    for other in reuse or []:
        if not is_reusable(other.expanduser()):
            raise UserError(f"--reuse {other}: no zoo with trained students there", "give the directory of a built or exported zoo")
    for module in ("torch", "transformers", "peft"):
        require(module, purpose="the zoo's LoRA students")
    zoo_dir = (zoo_dir or default_zoo_dir(small, dose)).expanduser().resolve()
    zoo_dir.mkdir(parents=True, exist_ok=True)
    store_path = (store or zoo_dir / "store.sqlite").expanduser().resolve()
    if dose:
        from distillscope.zoo.dose import dose_plan, quick_dose_plan, small_dose_plan

        if small:
            plan = small_dose_plan(zoo_dir, seeds or 2)
        elif quick:
            plan = quick_dose_plan(max_tokens or 40, threads, seeds or 2, serve)
        else:
            plan = dose_plan(max_tokens or 96, threads, seeds or 2, serve)
    else:
        plan = small_plan(zoo_dir, seeds or 2) if small else real_plan(max_tokens or 40, threads, seeds or 1, serve)
    if test_prompts is not None:
        from distillscope.zoo.build import test_pool

        plan = grow_test_set(plan, test_prompts, test_pool(plan))
    update: dict = {"reuse": [p.expanduser().resolve() for p in reuse or []]}
    if test_max_tokens is not None and test_max_tokens != plan.max_tokens:
        update["test_max_tokens"] = test_max_tokens
    if only:
        unknown = sorted(set(only) - {s.name for s in plan.students})
        if unknown:
            names = ", ".join(s.name for s in plan.students)
            raise UserError(f"--only {', '.join(unknown)}: no such student in this plan", f"give students of the plan: {names}")
        update["only"] = list(only)
    plan = plan.model_copy(update=update)
    log = lambda message: typer.echo(message, err=True)  # noqa: E731
    with Runner(ResponseStore(store_path), show_progress=progress) as runner:
        manifest = build_zoo(plan, zoo_dir, runner, str(store_path), log)
    print_manifest(manifest)
    typer.echo(f"zoo built in {manifest.build_seconds:.0f} s: {zoo_dir / 'manifest.json'}", err=True)


@app.command("export")
def export(
    zoo_dir: Annotated[Path, typer.Option("--dir", help="the built zoo")],
    out: Annotated[Path, typer.Option("--out", "-o", help="a new directory: the zoo as answers only (replay files)")],
) -> None:
    """Write a built zoo as answers only (a replay file per model, its test prompts, its manifest): `attribute --zoo`
    and `degree --calibration` read it on any machine, without the models."""
    from distillscope.zoo.export import export_zoo

    log = lambda message: typer.echo(message, err=True)  # noqa: E731
    result = export_zoo(zoo_dir, out, log)
    gaps = f"; no answer: {', '.join(f'{n} {k}' for n, k in result.missing.items())}" if result.missing else ""
    typer.echo(f"exported {result.answers} answers of {result.models} models to {result.out}{gaps}", err=True)


def print_manifest(manifest: ZooManifest) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"zoo: {len(manifest.students)} students, candidates {', '.join(manifest.candidates)}")
    for column in ("student", "kind", "true teacher", "budget", "base"):
        table.add_column(column)
    for s in manifest.students:
        table.add_row(s.name, s.kind, s.true_teacher or "-", str(s.budget or "-"), s.base)
    Console().print(table)
