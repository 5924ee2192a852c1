"""Terminal output of `audit`: metrics down, students across (fits 80 columns), each student's verdict, the cost."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from distillscope.results import Results


def show_audit(results: "Results") -> None:
    """Each cell is the mean over its interval; spec names fold."""
    from distillscope.report.tables import matrix_rows
    from distillscope.runner.cost import cost_table

    console = Console()
    students = list(results.students)
    table = Table(title=f"audit against {escape(results.teacher or '-')}", box=box.SIMPLE_HEAD)
    table.add_column("metric", ratio=2, overflow="fold")
    for student in students:
        table.add_column(escape(student), justify="right", overflow="fold", ratio=1, min_width=12)
    cells = {(r["student"], r["metric"]): r for r in matrix_rows(results)}
    for metric in dict.fromkeys(r["metric"] for r in cells.values()):
        row = []
        for student in students:
            cell = cells.get((student, metric))
            if cell is None:
                row.append("-")
                continue
            bounded = cell["low"] is not None and cell["high"] is not None and cell["low"] != cell["high"]
            interval = f"\n[{cell['low']:.2f}, {cell['high']:.2f}]" if bounded else "\n(no interval)"
            row.append(escape(f"{cell['mean']:.3f}{interval}"))
        table.add_row(escape(metric), *row)
    console.print(table)
    for student, section in results.students.items():
        if section.no_answers is not None:
            console.print(escape(section.no_answers.line()), highlight=False)
        elif section.verdict is not None:
            console.print(f"[bold]{escape(student)}[/bold]: {escape(section.verdict.headline)}", highlight=False)
    console.print(cost_table(results.cost))
