"""The sweep's comparison table: acquisition strategies at equal budgets, mean over seeds with each seed's CI.

A seed's CI is over test prompts; the spread between seeds is the variance
of acquisition and training. Both matter when telling strategies apart, so the
table shows both rather than pooling them into one interval.
"""

from __future__ import annotations

#: metric name -> column label; all read from a run's "after" (or the shared "before") measurement
SWEEP_METRICS = {"cosine": "cosine to teacher", "style": "style advantage", "embed": "embed advantage"}
#: metric name -> key of its paired difference in a run's "differences"
DELTA_KEYS = {"cosine": "cosine", "style": "advantage: style", "embed": "advantage: embed"}


def metric_of(measurement: dict, name: str) -> dict:
    """The estimate (mean, low, high) of one sweep metric in a `measure` result."""
    if name == "cosine":
        return measurement["similarity"]["overall"]["cosine"]
    return measurement["adversaries"][name]["advantage"]


def sweep_rows(runs: list[dict]) -> list[dict]:
    """One row per (budget, strategy): per metric, the mean over seeds and each seed's estimate."""
    cells: dict[tuple[int, str], list[dict]] = {}
    for run in runs:
        cells.setdefault((run["budget"], run["strategy"]), []).append(run)
    rows = []
    for (budget, strategy), group in sorted(cells.items()):
        row: dict = {"budget": budget, "strategy": strategy, "seeds": [g["seed"] for g in group]}
        for name in SWEEP_METRICS:
            per_seed = [metric_of(g["after"], name) for g in group]
            row[name] = {"mean": sum(e["mean"] for e in per_seed) / len(per_seed), "per_seed": per_seed,
                         # each seed's paired Δ (after − before over the same test prompts, same folds and resamples)
                         "delta_per_seed": [g.get("differences", {}).get(DELTA_KEYS[name]) for g in group]}
        rows.append(row)
    return rows
