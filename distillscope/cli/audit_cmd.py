"""`distillscope audit`: the selected metrics for every student, one results file, one HTML report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from distillscope.audit.metric_table import METRICS
from distillscope.cli.options import Progress, Store, Suite
from distillscope.cli.run_options import MaxCost, Prices

if TYPE_CHECKING:
    from distillscope.audit.config import AuditConfig

Opt = typer.Option
OutDir = Annotated[Path, Opt("--out-dir", "-o", help="where results.json and report.html go")]
Int = Optional[int]


def execute_audit(config: "AuditConfig", out_dir: Path, progress: bool) -> Path:
    """Run an audit, write results.json and report.html, print the summary; returns the report path."""
    from distillscope.app.audit import execute
    from distillscope.cli.show_audit import show_audit

    show_audit(execute(config, "audit", out_dir / "results.json", progress, report=out_dir / "report.html"))
    typer.echo(f"results: {out_dir / 'results.json'}\nreport:  {out_dir / 'report.html'}", err=True)
    return out_dir / "report.html"


def audit(
    teacher: Annotated[Optional[str], Opt("--teacher", "-t", help="the reference (teacher) model spec")] = None,
    student: Annotated[Optional[list[str]], Opt("--student", "-s", help="a suspected student; repeat for several")] = None,
    judge: Annotated[Optional[str], Opt("--judge", "-j", help="RSE and ICE judge (also the ICE helper)")] = None,
    config: Annotated[Optional[Path], Opt("--config", help="audit YAML (see docs/audit.md); flags win over it")] = None,
    metrics: Annotated[Optional[str], Opt(help=f"comma-separated: {','.join(METRICS.builtin_names())}, or an installed plugin's")] = None,
    suite: Suite = None,
    split: Annotated[Optional[str], Opt("--split", help="test, train or all (default test)")] = None,
    n: Annotated[Int, Opt("--n", min=2, help="test prompts (default 100)")] = None,
    n_train: Annotated[Int, Opt("--n-train", min=2, help="train prompts for the adversaries (default 100)")] = None,
    seed: Annotated[Int, Opt("--seed", help="seed of prompts, bootstraps and sampling (default 0)")] = None,
    max_tokens: Annotated[Int, Opt("--max-tokens", min=1, help="answer length limit (default 128)")] = None,
    temperature: Annotated[Optional[float], Opt("--temperature", min=0.0, max=2.0, help="(default 0: greedy)")] = None,
    samples: Annotated[Int, Opt("--samples", min=1, help="answers per prompt per model (default 1)")] = None,
    ice_budget: Annotated[Int, Opt(min=1, help="ICE target queries per student (default 100)")] = None,
    force_invalid: Annotated[
        Optional[bool],
        Opt("--force-invalid", help="score students with a judge its control showed invalid (default: skip, save the calls)"),
    ] = None,
    prices: Prices = None,
    max_cost: MaxCost = None,
    out_dir: OutDir = Path("audit"),
    store: Store = None,
    progress: Progress = True,
) -> None:
    """Audit students against a teacher: RSE, similarity, ICE and indistinguishability, one results file, one HTML report."""
    from distillscope.audit.config import load_audit_config
    from distillscope.cli.options import config_values
    from distillscope.cli.run_options import price_table

    chosen = [m.strip() for m in metrics.split(",") if m.strip()] if metrics else None
    values = config_values(locals(), students=student, metrics=chosen, prices=price_table(prices))
    if config is not None:  # the config file is an input: neither output may replace it
        from distillscope.paths import guard_outputs

        guard_outputs({"results.json": out_dir / "results.json", "report.html": out_dir / "report.html"}, inputs={"--config": config})
    execute_audit(load_audit_config(config, values), out_dir, progress)
