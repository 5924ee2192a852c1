"""The sweep's comparison table: acquisition strategies at equal budgets, mean over seeds with each seed's CI.

A seed's CI is over test prompts; the spread between seeds is the variance
of acquisition and training. Both matter when telling strategies apart, so the
table shows both rather than pooling them into one interval.
"""

from __future__ import annotations

from distillscope.distill.results import Measurement, SweepCell, SweepRow, SweepRun
from distillscope.stats import Estimate

#: metric name -> column label; all read from a run's "after" (or the shared "before") measurement
SWEEP_METRICS = {"cosine": "cosine to teacher", "style": "style advantage", "embed": "embed advantage"}
#: metric name -> key of its paired difference in a run's "differences"
DELTA_KEYS = {"cosine": "cosine", "style": "advantage: style", "embed": "advantage: embed"}


def metric_of(measurement: Measurement, name: str) -> Estimate:
    """The estimate of one sweep metric in a measurement."""
    return measurement.cosine if name == "cosine" else measurement.adversaries[name].advantage


def sweep_rows(runs: list[SweepRun]) -> list[SweepRow]:
    """One row per (budget, strategy): per metric, the mean over seeds and each seed's estimate."""
    cells: dict[tuple[int, str], list[SweepRun]] = {}
    for run in runs:
        cells.setdefault((run.budget, run.strategy), []).append(run)
    rows = []
    for (budget, strategy), group in sorted(cells.items()):
        metrics = {}
        for name in SWEEP_METRICS:
            per_seed = [metric_of(run.after, name) for run in group]
            means = [e.mean for e in per_seed if e.mean is not None]
            # each seed's paired Δ (after − before over the same test prompts, same folds and resamples)
            metrics[name] = SweepCell(
                mean=sum(means) / len(means) if means and len(means) == len(per_seed) else None,  # a seed without one: none
                per_seed=per_seed,
                delta_per_seed=[run.differences.get(DELTA_KEYS[name]) for run in group],
            )
        rows.append(SweepRow(budget=budget, strategy=strategy, seeds=[run.seed for run in group], metrics=metrics))
    return rows
