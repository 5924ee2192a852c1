"""Terminal tables shared by the metric commands."""

from __future__ import annotations

from rich.table import Table


def estimate_table(title: str, rows: dict) -> Table:  # rows: label -> metrics.stats.Estimate
    table = Table(title=title)
    for column in ("", "mean", "95% CI", "n"):
        table.add_column(column, justify="left" if not column else "right")
    for label, estimate in rows.items():
        ci = f"[{estimate.low:.3f}, {estimate.high:.3f}]" if estimate.low is not None else "-"
        mean = f"{estimate.mean:.3f}" if estimate.mean is not None else "n/a"
        table.add_row(label, mean, ci, str(estimate.n))
    return table
