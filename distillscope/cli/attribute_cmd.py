"""`distillscope attribute`: which candidate, if any, taught the student (or every student of a zoo)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from distillscope.cli.options import Out, Progress, Seed, Store

Opt = typer.Option
Student = Annotated[Optional[str], Opt("--student", "-s", help="the student model spec")]
Candidates = Annotated[Optional[list[str]], Opt("--candidate", "-c", help="a candidate teacher spec (repeat)")]
Base = Annotated[Optional[str], Opt("--base", "-b", help="the student's base, the reference of every margin (needed to answer 'none')")]
Zoo = Annotated[
    Optional[Path], Opt("--zoo", help="test every student of a built zoo against its leave-one-recipe-out null; writes the null population")
]
Calibration = Annotated[
    Optional[Path], Opt("--calibration", help="a zoo directory or the null population JSON `attribute --zoo` wrote (attribution_null.json)")
]
Alpha = Annotated[float, Opt("--alpha", min=0.0001, max=0.5, help="the false-accusation rate: the test names a teacher at this level")]
Looks = Annotated[
    int, Opt("--looks", min=1, max=20, help="sequential: ask the prompts in this many growing parts, stop once a teacher is named")
]
Families = Annotated[Optional[list[str]], Opt("--family", help="NAME=FAMILY: a candidate's model family for the ICE signal")]
Signals = Annotated[
    Optional[str], Opt("--signals", help="comma-separated: similarity,style,embed,mmd,ice,likelihood,pos (default: all but likelihood)")
]
LeaveOut = Annotated[Optional[list[str]], Opt("--leave-out", help="a signal to leave out (repeat)")]
Prompts = Annotated[Optional[Path], Opt("--prompts", help="JSONL/CSV test prompts (default: --n prompts of the suite's test split)")]
N = Annotated[int, Opt("--n", min=4, help="test prompts sampled from the packaged suite")]
MaxTokens = Annotated[
    Optional[int], Opt("--max-tokens", min=1, help="answer length limit of every model (default: the --calibration zoo's, else 256)")
]


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
    alpha: Alpha = 0.05,
    looks: Looks = 1,
    max_tokens: MaxTokens = None,
    seed: Seed = 0,
    out: Out = Path("attribution_results.json"),
    store: Store = None,
    progress: Progress = True,
) -> None:
    """Teacher attribution as a test at a false-accusation rate (--alpha): a named teacher, 'none' or 'undecided', and a separate closed-set ranking."""
    from rich.console import Console

    from distillscope.app import attribute as run
    from distillscope.attribution import tables
    from distillscope.attribution.attribute import parse_signals
    from distillscope.attribution.families import parse_family_options
    from distillscope.paths import atomic_write_text, check_parent, guard_outputs

    chosen, families = parse_signals(signals, leave_out or []), parse_family_options(family or [])
    check_parent(out, "results file")
    guard_outputs({"--out": out}, inputs={"--prompts": prompts, "--calibration": calibration}, store=store)
    console = Console()
    if zoo is not None:
        if looks > 1:
            from distillscope.errors import UserError

            raise UserError("--looks applies to one student", "leave out --looks with --zoo")
        evaluated = run.run_zoo(zoo, chosen, families, store, progress, seed, (student, candidate, base, calibration), alpha)
        console.print(tables.zoo_table(evaluated))
        console.print(tables.curve_table(evaluated))
        console.print(tables.ablation_table(evaluated))
        text = evaluated.model_dump_json(indent=2)
    else:
        result = run.run_student(
            student, candidate or [], base, prompts, n, max_tokens, seed, families, chosen, calibration, store, progress, alpha, looks
        )
        console.print(tables.student_table(result))
        for note in result.notes:
            console.print(f"[dim]note: {note}[/dim]")
        console.print(tables.ranking_line(result))
        console.print(tables.outcome_line(result))
        text = result.model_dump_json(indent=2)
    atomic_write_text(out, text)
    typer.echo(f"results: {out}", err=True)
