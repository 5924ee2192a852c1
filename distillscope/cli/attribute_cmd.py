"""`distillscope attribute`: which candidate, if any, taught the student (or every student of a zoo)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from distillscope.cli.options import MaxTokens, Out, Progress, Seed, Store

Opt = typer.Option
Student = Annotated[Optional[str], Opt("--student", "-s", help="the student model spec")]
Candidates = Annotated[Optional[list[str]], Opt("--candidate", "-c", help="a candidate teacher spec (repeat)")]
Base = Annotated[Optional[str], Opt("--base", "-b", help="the student's base, the reference of every margin (needed to answer 'none')")]
Zoo = Annotated[Optional[Path], Opt("--zoo", help="every student of a built zoo, calibrated leave-one-student-out; writes the calibration")]
Calibration = Annotated[Optional[Path], Opt("--calibration", help="a zoo directory or the calibration JSON `attribute --zoo` wrote")]
Families = Annotated[Optional[list[str]], Opt("--family", help="NAME=FAMILY: a candidate's model family for the ICE signal")]
Signals = Annotated[
    Optional[str], Opt("--signals", help="comma-separated: similarity,style,embed,mmd,ice,likelihood,pos (default: all but likelihood)")
]
LeaveOut = Annotated[Optional[list[str]], Opt("--leave-out", help="a signal to leave out (repeat)")]
Prompts = Annotated[Optional[Path], Opt("--prompts", help="JSONL/CSV test prompts (default: --n prompts of the suite's test split)")]
N = Annotated[int, Opt("--n", min=4, help="test prompts sampled from the packaged suite")]


def attribute(
    student: Student = None,
    candidate: Candidates = None,
    base: Base = None,
    zoo: Zoo = None,
    calibration: Calibration = None,
    family: Families = None,
    signals: Signals = None,
    leave_out: LeaveOut = None,
    prompts: Prompts = None,
    n: N = 120,
    max_tokens: MaxTokens = 256,
    seed: Seed = 0,
    out: Out = Path("attribution_results.json"),
    store: Store = None,
    progress: Progress = True,
) -> None:
    """Teacher attribution: similarity, adversaries, MMD, ICE claims, likelihood and POS templates per candidate; a ranking or 'none'."""
    from rich.console import Console

    from distillscope.attribution import run, tables
    from distillscope.attribution.attribute import parse_signals
    from distillscope.attribution.families import parse_family_options
    from distillscope.paths import atomic_write_text, check_parent

    chosen, families = parse_signals(signals, leave_out or []), parse_family_options(family or [])
    check_parent(out, "results file")
    console = Console()
    if zoo is not None:
        result = run.run_zoo(zoo, chosen, families, store, progress, seed, (student, candidate, base, calibration))
        console.print(tables.zoo_table(result))
        console.print(tables.ablation_table(result))
    else:
        result = run.run_student(
            student, candidate or [], base, prompts, n, max_tokens, seed, families, chosen, calibration, store, progress
        )
        console.print(tables.student_table(result))
        for note in result.notes:
            console.print(f"[dim]note: {note}[/dim]")
        console.print(tables.outcome_line(result))
    atomic_write_text(out, result.model_dump_json(indent=2))
    typer.echo(f"results: {out}", err=True)
