"""`distillscope audit` (the selected metrics, every student, one results file and report), `report` and `demo`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from distillscope.cli.options import MaxTokens, Progress, Samples, Seed, Split, Store, Suite, Temperature

if TYPE_CHECKING:
    from distillscope.audit.config import AuditConfig

Opt = typer.Option
DEMO_TEACHER = "builtin/qwen2.5-coder-0.5b-instruct"
DEMO_STUDENTS = ("builtin/gemma-3-270m", "builtin/smollm2-135m-instruct")
OutDir = Annotated[Path, Opt("--out-dir", "-o", help="where results.json and report.html go")]


def execute_audit(config: "AuditConfig", out_dir: Path, progress: bool) -> Path:
    """Run an audit, write results.json and report.html, print the summary; returns the report path."""
    from distillscope.cli.show_audit import show_audit
    from distillscope.pipeline.execute import execute

    show_audit(execute(config, "audit", out_dir / "results.json", progress, report=out_dir / "report.html"))
    typer.echo(f"results: {out_dir / 'results.json'}\nreport:  {out_dir / 'report.html'}", err=True)
    return out_dir / "report.html"


def audit(
    teacher: Annotated[Optional[str], Opt("--teacher", "-t", help="the reference (teacher) model spec")] = None,
    student: Annotated[Optional[list[str]], Opt("--student", "-s", help="a suspected student; repeat for several")] = None,
    judge: Annotated[Optional[str], Opt("--judge", "-j", help="RSE and ICE judge (also the ICE helper)")] = None,
    config: Annotated[Optional[Path], Opt("--config", help="audit YAML (see docs/audit.md); flags win over it")] = None,
    metrics: Annotated[Optional[str], Opt("--metrics", help="comma-separated: similarity,rse,ice,indist,sequential")] = None,
    suite: Suite = None, split: Annotated[Optional[str], Opt("--split", help="test, train or all (default test)")] = None,
    n: Annotated[Optional[int], Opt("--n", min=2, help="test prompts (default 100)")] = None,
    n_train: Annotated[Optional[int], Opt("--n-train", min=2, help="train prompts for the adversaries (default 100)")] = None,
    seed: Annotated[Optional[int], Opt("--seed", help="seed of prompts, bootstraps and sampling (default 0)")] = None,
    max_tokens: Annotated[Optional[int], Opt("--max-tokens", min=1, help="answer length limit (default 128)")] = None,
    temperature: Annotated[Optional[float], Opt("--temperature", min=0.0, max=2.0, help="(default 0: greedy)")] = None,
    samples: Annotated[Optional[int], Opt("--samples", min=1, help="answers per prompt per model (default 1)")] = None,
    ice_budget: Annotated[Optional[int], Opt(min=1, help="ICE target queries per student (default 100)")] = None,
    out_dir: OutDir = Path("audit"), store: Store = None, progress: Progress = True,
) -> None:
    """Audit students against a teacher: RSE, similarity, ICE and indistinguishability, one results file, one HTML report."""
    from distillscope.audit.config import load_audit_config

    overrides = {"teacher": teacher, "students": student, "judge": judge, "n": n, "n_train": n_train, "ice_budget": ice_budget,
                 "store": store, "suite": suite, "split": split, "seed": seed, "max_tokens": max_tokens, "temperature": temperature,
                 "samples": samples, "metrics": [m.strip() for m in metrics.split(",") if m.strip()] if metrics else None}
    execute_audit(load_audit_config(config, overrides), out_dir, progress)


def report(
    results: Annotated[Path, typer.Argument(help="the results.json of an audit or a metric command")],
    out: Annotated[Optional[Path], Opt("--out", "-o", help="HTML path; default report.html beside the results")] = None,
) -> None:
    """Re-render the HTML report from a results file (no model, no store needed)."""
    from distillscope.paths import require_writable_file
    from distillscope.report.render import read_report_results, write_report

    path = write_report(read_report_results(results), require_writable_file(out or results.with_name("report.html"), "--out"))
    typer.echo(f"report: {path}", err=True)


def demo(
    n: Annotated[int, Opt("--n", min=2, help="test prompts (stratified)")] = 20,
    n_train: Annotated[int, Opt("--n-train", min=2, help="train prompts for the adversaries")] = 30,
    ice_budget: Annotated[int, Opt(min=1, help="ICE queries per student")] = 10,
    max_tokens: MaxTokens = 64, seed: Seed = 0, split: Split = "test", suite: Suite = None, temperature: Temperature = 0.0,
    samples: Samples = 1, out_dir: OutDir = Path("demo-audit"), store: Store = None, progress: Progress = True,
) -> None:
    """Audit the two built-in students against the built-in teacher, offline, and write the report."""
    from distillscope.audit.config import AuditConfig

    report_path = execute_audit(AuditConfig(teacher=DEMO_TEACHER, students=list(DEMO_STUDENTS), judge=DEMO_TEACHER, n=n,
                                            n_train=n_train, ice_budget=ice_budget, max_tokens=max_tokens, swap_n=3, store=store,
                                            seed=seed, split=split, suite=suite, temperature=temperature, samples=samples),
                                out_dir, progress)
    typer.echo(f"open {report_path.resolve()} in a browser to see the demo report", err=True)
