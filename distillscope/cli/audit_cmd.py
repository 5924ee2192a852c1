"""`distillscope audit` (every metric, every student, one results file and report) and `distillscope report`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from distillscope.cli.generate_cmd import StoreOption

DEMO_TEACHER = "builtin/qwen2.5-coder-0.5b-instruct"
DEMO_STUDENTS = ("builtin/gemma-3-270m", "builtin/smollm2-135m-instruct")


def execute_audit(config, out_dir: Path, progress: bool) -> Path:  # noqa: ANN001
    """Run an audit, write results.json and report.html, print the summary; returns the report path."""
    from rich.console import Console

    from distillscope.audit.run import pick_pairwise_judge, run_audit
    from distillscope.metrics.embeddings import EmbeddingCache, Embedder
    from distillscope.paths import check_parent, require_writable_file
    from distillscope.report.render import write_report
    from distillscope.results import envelope, write_results
    from distillscope.runner.cost import CostMeter, PriceTable
    from distillscope.runner.runner import Runner
    from distillscope.runner.store import ResponseStore

    require_writable_file(out_dir / "results.json", "--out-dir", create_parent=True)  # before anything is paid for
    store = ResponseStore(check_parent(config.store, "store") if config.store else None)
    runner = Runner(store, show_progress=progress, cost=CostMeter(PriceTable(prices=config.prices), config.max_cost))
    console = Console(stderr=True)
    embedder = Embedder(cache=EmbeddingCache(store.path))
    outcome = run_audit(config, runner, embedder, log=lambda message: console.log(message) if progress else None)
    data = envelope(
        "audit", suite=outcome["suite"],
        prompts={"n_test": len(outcome["prompts"]["test_ids"]), "n_train": len(outcome["prompts"]["train_ids"]), **outcome["prompts"]},
        models={"teacher": outcome["teacher"], "students": list(outcome["students"]), "judge": config.judge,
                "helper": config.helper or config.judge,
                "pairwise_judges": {s: pick_pairwise_judge(config, s) for s in config.students}},
        sampling=config.sampling_params().model_dump(), seed=config.seed,
        config=config.model_dump(mode="json", exclude={"store"}), results={"students": outcome["students"], "controls": outcome.get("controls")},
        cost={**runner.cost.summary(), "per_student": outcome.get("cost_per_metric", {})})
    results_path = out_dir / "results.json"
    write_results(results_path, data)
    report_path = write_report(data, out_dir / "report.html")
    print_summary(data)
    from distillscope.runner.cost import cost_table

    Console().print(cost_table(data["cost"]))
    typer.echo(f"results: {results_path}\nreport:  {report_path}", err=True)
    return report_path


def print_summary(data: dict) -> None:
    """Metrics down, students across; fits 80 columns: each cell is the mean over its interval, spec names fold."""
    from rich import box
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from distillscope.report.tables import matrix_rows, students_of

    console = Console()
    students = list(students_of(data))
    table = Table(title=f"audit against {escape(data['models']['teacher'])}", box=box.SIMPLE_HEAD)
    table.add_column("metric", ratio=2, overflow="fold")
    for student in students:
        table.add_column(escape(student), justify="right", overflow="fold", ratio=1, min_width=12)
    cells = {(r["student"], r["metric"]): r for r in matrix_rows(data)}
    for metric in dict.fromkeys(r["metric"] for r in cells.values()):
        row = []
        for student in students:
            cell = cells.get((student, metric))
            if cell is None:
                row.append("-")
            else:
                interval = f"\n[{cell['low']:.2f}, {cell['high']:.2f}]" if cell["low"] is not None else ""
                row.append(escape(f"{cell['mean']:.3f}{interval}"))
        table.add_row(escape(metric), *row)
    console.print(table)
    for student, section in students_of(data).items():
        console.print(f"[bold]{escape(student)}[/bold]: {escape(section['verdict']['headline'])}", highlight=False)


def audit(
    teacher: Annotated[Optional[str], typer.Option("--teacher", "-t", help="the reference (teacher) model spec")] = None,
    student: Annotated[Optional[list[str]], typer.Option("--student", "-s", help="a suspected student; repeat for several")] = None,
    judge: Annotated[Optional[str], typer.Option("--judge", "-j", help="RSE and ICE judge (also the ICE helper)")] = None,
    config: Annotated[Optional[Path], typer.Option("--config", help="audit YAML (see docs/audit.md); flags win over it")] = None,
    n: Annotated[Optional[int], typer.Option("--n", min=2, help="test prompts (default 100)")] = None,
    n_train: Annotated[Optional[int], typer.Option("--n-train", min=2, help="train prompts for the adversaries (default 100)")] = None,
    ice_budget: Annotated[Optional[int], typer.Option(min=1, help="ICE target queries per student (default 100)")] = None,
    out_dir: Annotated[Path, typer.Option("--out-dir", "-o", help="where results.json and report.html go")] = Path("audit"),
    store: StoreOption = None,
    progress: bool = True,
) -> None:
    """Audit students against a teacher: RSE, similarity, ICE and indistinguishability, one results file, one HTML report."""
    from distillscope.audit.config import load_audit_config

    overrides = {"teacher": teacher, "students": student, "judge": judge, "n": n, "n_train": n_train, "ice_budget": ice_budget,
                 "store": store}
    execute_audit(load_audit_config(config, overrides), out_dir, progress)


def report(
    results: Annotated[Path, typer.Argument(help="an audit's results.json")],
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="HTML path; default report.html beside the results")] = None,
) -> None:
    """Re-render the HTML report of an audit from its results file (no model, no store needed)."""
    from distillscope.errors import InputFileError
    from distillscope.paths import require_writable_file
    from distillscope.report.render import read_audit_results, write_report

    data = read_audit_results(results)
    target = require_writable_file(out or results.with_name("report.html"), "--out")
    try:
        path = write_report(data, target)
    except (KeyError, TypeError, AttributeError) as exc:
        # the envelope was checked; a section deeper down lacks a field the report reads
        raise InputFileError(f"{results} is not a complete audit results file ({type(exc).__name__}: {exc})",
                             "give the results.json that `distillscope audit` wrote") from None
    typer.echo(f"report: {path}", err=True)


def demo(
    n: Annotated[int, typer.Option("--n", min=2, help="test prompts (stratified)")] = 20,
    n_train: Annotated[int, typer.Option("--n-train", min=2, help="train prompts for the adversaries")] = 30,
    ice_budget: Annotated[int, typer.Option(min=1, help="ICE queries per student")] = 10,
    max_tokens: Annotated[int, typer.Option(min=1)] = 64,
    out_dir: Annotated[Path, typer.Option("--out-dir", "-o")] = Path("demo-audit"),
    store: StoreOption = None,
    progress: bool = True,
) -> None:
    """Audit the two built-in students against the built-in teacher, offline, and write the report."""
    from distillscope.audit.config import AuditConfig

    config = AuditConfig(teacher=DEMO_TEACHER, students=list(DEMO_STUDENTS), judge=DEMO_TEACHER, n=n, n_train=n_train,
                         ice_budget=ice_budget, max_tokens=max_tokens, swap_n=3, store=store)
    report_path = execute_audit(config, out_dir, progress)
    typer.echo(f"open {report_path.resolve()} in a browser to see the demo report", err=True)
