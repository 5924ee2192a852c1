"""`distillscope report` (re-render the HTML from a results file) and `distillscope demo` (an audit of the built-ins)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from distillscope.cli.audit_cmd import OutDir
from distillscope.cli.options import ForceInvalid, MaxTokens, Progress, Samples, Seed, Split, Store, Suite, Temperature

Opt = typer.Option
DEMO_TEACHER = "builtin/qwen2.5-coder-0.5b-instruct"
DEMO_STUDENTS = ("builtin/gemma-3-270m", "builtin/smollm2-135m-instruct")


def report(
    results: Annotated[Path, typer.Argument(help="the results.json of an audit or a metric command")],
    out: Annotated[Optional[Path], Opt("--out", "-o", help="HTML path; default report.html beside the results")] = None,
) -> None:
    """Re-render the HTML report from a results file (no model, no store needed)."""
    from distillscope.paths import guard_outputs, require_writable_file
    from distillscope.report.render import read_report_results, write_report

    out = require_writable_file(out or results.with_name("report.html"), "--out")
    guard_outputs({"--out": out}, inputs={"the results file": results})
    path = write_report(read_report_results(results), out)
    typer.echo(f"report: {path}", err=True)


def demo(
    n: Annotated[int, Opt("--n", min=2, help="test prompts (stratified)")] = 20,
    n_train: Annotated[int, Opt("--n-train", min=2, help="train prompts for the adversaries")] = 30,
    ice_budget: Annotated[int, Opt(min=1, help="ICE queries per student")] = 10,
    max_tokens: MaxTokens = 64,
    seed: Seed = 0,
    split: Split = "test",
    suite: Suite = None,
    temperature: Temperature = 0.0,
    samples: Samples = 1,
    force_invalid: ForceInvalid = False,
    out_dir: OutDir = Path("demo-audit"),
    store: Store = None,
    progress: Progress = True,
) -> None:
    """Audit the two built-in students against the built-in teacher, offline, and write the report."""
    from distillscope.audit.config import AuditConfig
    from distillscope.cli.audit_cmd import execute_audit
    from distillscope.cli.options import config_values

    roles = {"teacher": DEMO_TEACHER, "students": list(DEMO_STUDENTS), "judge": DEMO_TEACHER, "swap_n": 3}
    report_path = execute_audit(AuditConfig(**config_values(locals(), **roles)), out_dir, progress)
    typer.echo(f"open {report_path.resolve()} in a browser to see the demo report", err=True)
