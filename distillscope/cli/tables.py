"""Terminal tables shared by the metric commands.

A number resting on fewer than MIN_CATEGORY_N prompts (a small category, say)
is shown as "too few", greyed, so noise on two prompts never reads as a finding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table

from distillscope.report.tables import MIN_CATEGORY_N

if TYPE_CHECKING:
    from distillscope.stats import Estimate


def category_cell(estimate: "Estimate | None") -> str:
    """One per-category cell: mean [low, high] n=…, or a grey "too few (n=…)"."""
    if estimate is None:
        return "-"
    if estimate.n < MIN_CATEGORY_N:
        return f"[dim]too few (n={estimate.n})[/dim]"
    if estimate.mean is None:
        return f"n/a (n={estimate.n})"
    interval = f" [{estimate.low:.2f}, {estimate.high:.2f}]" if estimate.has_interval() else " (no interval)"
    return f"{estimate.mean:.2f}{interval} n={estimate.n}"


def estimate_table(title: str, rows: "dict[str, Estimate]") -> Table:
    table = Table(title=title)
    for column in ("", "mean", "95% CI", "n"):
        table.add_column(column, justify="left" if not column else "right")
    for label, estimate in rows.items():
        if estimate.n < MIN_CATEGORY_N:
            table.add_row(f"[dim]{label}[/dim]", "[dim]too few[/dim]", "-", f"[dim]{estimate.n}[/dim]")
            continue
        ci = f"[{estimate.low:.3f}, {estimate.high:.3f}]" if estimate.has_interval() else (estimate.status or "no interval")
        mean = f"{estimate.mean:.3f}" if estimate.mean is not None else "n/a"
        table.add_row(label, mean, ci, str(estimate.n))
    return table
