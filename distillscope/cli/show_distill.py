"""Terminal tables of `distill` (before vs after) and `distill sweep` (strategies at equal budgets)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from distillscope.distill.results import DistillationResult, SweepResults
from distillscope.stats import Estimate


def print_before_after(result: DistillationResult) -> None:
    before, after, deltas = result.before, result.after, result.differences
    table = Table(title=f"student before vs after LoRA distillation ({result.acquired.n} teacher answers, {result.training.steps} steps)")
    for column in ("", "before", "after", "Δ after − before [95% CI, paired over prompts]"):
        table.add_column(column, justify="right" if column else "left")

    def row(label: str, earlier: Estimate, later: Estimate, delta_key: str) -> None:
        table.add_row(label, earlier.fmt(), later.fmt(), deltas[delta_key].fmt() if delta_key in deltas else "-")

    row("cosine to teacher", before.cosine, after.cosine, "cosine")
    for name, adversary in after.adversaries.items():
        if name in before.adversaries:
            row(f"advantage: {name}", before.adversaries[name].advantage, adversary.advantage, f"advantage: {name}")
    if after.judge and before.judge:
        row("advantage: judge (all pairs)", before.judge.advantage_all_pairs, after.judge.advantage_all_pairs, "advantage: judge")
    table.add_row(f"MMD p-value ({after.mmd.design})", f"{before.mmd.p_value:.4f}", f"{after.mmd.p_value:.4f}", "")
    table.add_row("empty student answers", f"{before.empty_answers}/{before.n}", f"{after.empty_answers}/{after.n}", "")
    for category, scores in sorted(before.similarity.by_category.items()):
        later = after.similarity.by_category.get(category, {}).get("cosine")
        table.add_row(f"{category}: cosine", f"{scores['cosine'].mean:.3f}", f"{later.mean if later else float('nan'):.3f}", "")
    Console().print(table)


def _ci(estimate: Estimate) -> str:
    return f"{estimate.mean:.3f} [{estimate.low:.3f}, {estimate.high:.3f}]" if estimate.low is not None else f"{estimate.mean:.3f}"


def print_sweep(results: SweepResults) -> None:
    from distillscope.distill.sweep import SWEEP_METRICS, metric_of

    table = Table(title="acquisition strategies at equal budgets (after distillation; mean over seeds, each seed's 95% CI)")
    table.add_column("budget", justify="right")
    table.add_column("strategy")
    for label in SWEEP_METRICS.values():
        table.add_column(label, justify="right")
        table.add_column("per seed", justify="right")
    for row in results.table:
        cells = []
        for name in SWEEP_METRICS:
            cell = row.metrics[name]
            cells += [f"{cell.mean:.3f}", "\n".join(_ci(e) for e in cell.per_seed)]
        table.add_row(str(row.budget), row.strategy, *cells)
    console = Console()
    console.print(table)
    if results.before:
        console.print(
            "before distillation: " + ", ".join(f"{label} {_ci(metric_of(results.before, name))}" for name, label in SWEEP_METRICS.items())
        )
