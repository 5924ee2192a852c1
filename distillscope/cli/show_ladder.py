"""The control ladder on the terminal: per measure, its rungs, both AUCs and whether it is valid for this run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from distillscope.results import Results


def show_ladder(console: Console, results: "Results") -> None:
    from rich.table import Table

    ladder = results.controls
    if ladder is None:
        return
    if not ladder.measures:
        console.print("control ladder skipped: it needs at least two answered prompts; no measure was checked")
        return
    table = Table(
        title=f"control ladder (valid when the AUC(2 vs 3) 95% interval is >= {ladder.threshold}, invalid when < it, else undecided)"
    )
    for column in ("measure", "1: self", "2: resample", "3: other prompt", "AUC(2 vs 3)", "AUC(1 vs 3)", "2 > 3 within prompt", "valid"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    from distillscope.controls.ladder_result import ladder_rows

    for row in ladder_rows(ladder):
        table.add_row(
            row["measure"],
            row["self"],
            row["resample"],
            row["other_prompt"],
            row["AUC(2 vs 3)"],
            row["AUC(1 vs 3)"],
            row["within prompt"],
            row["valid"],
            style=None if row["valid"] == "yes" else "dim",
        )
    console.print(table)
    console.print(
        f"control ladder: {ladder.n_prompts} prompts of the reference; resample: {ladder.resample_source} "
        f"({ladder.resamples_available} available); mismatches from another category: {ladder.cross_category_mismatches}"
    )
    for name, reason in ladder.invalid().items():
        console.print(f"[bold red]INVALID for this run[/]: {escape(name)}: {escape(reason)}")
    for name, reason in ladder.undecided().items():
        console.print(f"[yellow]undecided (not validated; decides nothing)[/]: {escape(name)}: {escape(reason)}")
