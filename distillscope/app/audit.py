"""Run a config end to end: one Workspace, the selected metrics, the results file (the commands' shared body)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from distillscope.audit.config import AuditConfig
    from distillscope.results import Results
    from distillscope.workspace import Workspace


def execute(
    config: "AuditConfig",
    kind: str,
    out: Path,
    progress: bool,
    report: Path | None = None,
    before: Callable[["Workspace"], None] | None = None,
) -> "Results":
    """Check the output paths and prices, run every selected metric in one Workspace, write `out` (and the HTML `report`).

    Nothing is asked of any model before the output paths, the price table and
    every metric's options have been checked.
    """
    from distillscope.paths import guard_outputs, require_writable_file
    from distillscope.pipeline.audit import run_audit
    from distillscope.results import write_results
    from distillscope.runner.cost import CostMeter, PriceTable
    from distillscope.workspace import Workspace

    require_writable_file(out, "--out", create_parent=True)
    if report is not None:
        require_writable_file(report, "--out-dir", create_parent=True)
    # never the store, the suite, or one another (results and report are written atomically: see paths.py)
    guard_outputs({"--out": out, "the HTML report": report}, inputs={"--suite": config.suite}, store=config.store)
    cost = CostMeter(PriceTable(prices=config.prices), config.max_cost)
    roles = [config.teacher, *config.students, config.judge, config.helper, *config.pairwise_judges.values()]
    from distillscope.models.registry import load_model

    cost.require_prices([load_model(spec).identity for spec in dict.fromkeys(r for r in roles if r)])  # bad specs fail here too
    with Workspace(config.store, progress=progress, cost=cost, embedder=config.embedder) as ws:
        if before is not None:
            before(ws)
        results = run_audit(config, ws, kind)
    write_results(out, results)
    if report is not None:
        from distillscope.report.render import write_report

        write_report(results, report)
    return results
