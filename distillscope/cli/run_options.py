"""Options of the commands that ask paid models or run the sequential test: judges, budgets, prices."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

Opt = typer.Option
Teacher = Annotated[str, Opt("--teacher", "-t", "--reference", "-r", help="the teacher (reference) model spec")]
Sequential = Annotated[
    bool, Opt("--sequential", help="anytime-valid test by betting: stop when distinguishable or the budget is spent (docs/sequential.md)")
]
Alpha = Annotated[Optional[float], Opt(min=0.0001, max=0.5, help="sequential: level; rejects when wealth reaches 1/alpha (default 0.05)")]
MaxQueries = Annotated[Optional[int], Opt("--max-queries", min=1, help="sequential: prompts asked of each model at most (default 200)")]
Batch = Annotated[Optional[int], Opt("--batch", min=1, help="sequential: prompts asked of both models between updates (default 10)")]
Prices = Annotated[Optional[Path], Opt("--prices", help="YAML: 'provider/model: {input: USD, output: USD}' per 1M tokens; local: 0")]
MaxCost = Annotated[Optional[float], Opt("--max-cost", min=0.0, help="USD; stop before spending more (needs --prices for API models)")]


def price_table(prices: Path | None) -> dict | None:
    from distillscope.runner.cost import PriceTable

    return PriceTable.load(prices).prices if prices else None


def sequential_settings(sequential: bool, alpha: float | None, max_queries: int | None, batch: int | None) -> dict | None:
    """The sequential test's settings, or None; its options without --sequential are refused in one line."""
    given = {"alpha": alpha, "max_queries": max_queries, "batch": batch}
    if not sequential:
        if any(v is not None for v in given.values()):
            from distillscope.errors import UserError

            raise UserError("--alpha, --max-queries and --batch only apply to the sequential test", "add --sequential or leave them out")
        return None
    return {k: v for k, v in given.items() if v is not None}
