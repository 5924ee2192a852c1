"""`distillscope ice`: identity fuzzing of one target, an audit restricted to ICE."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from distillscope.cli.options import MaxTokens, Progress, Seed, Store

Opt = typer.Option


def ice(
    target: Annotated[str, Opt("--target", "-t", "--student", "-s", help="the model probed for identity leakage")],
    helper: Annotated[str, Opt("--helper", help="model that mutates templates (any backend)")],
    judge: Annotated[Optional[str], Opt("--judge", "-j", help="conflict judge; without one only strict/hard are scored")] = None,
    facts: Annotated[
        Optional[str], Opt("--facts", help="the target's true family: a packaged id (qwen, gemma, ...) or a YAML file")
    ] = None,
    library: Annotated[Optional[list[Path]], Opt("--library", help="extra fact-set YAML files for the claim extractor; repeatable")] = None,
    templates: Annotated[Optional[list[Path]], Opt("--templates", help="seed templates (YAML or GPTFuzz id,text CSV); repeatable")] = None,
    budget: Annotated[int, Opt(min=1, help="target queries in all (the paper: 1000)")] = 1000,
    questions_per_iteration: Annotated[int, Opt(min=1, help="identity questions filled into each mutant")] = 5,
    strict_families: Annotated[
        str, Opt(help="comma-separated families whose claims count for strict ('any': any other family)")
    ] = "openai,anthropic",
    strict_judge: Annotated[
        str, Opt(help="who decides strict: extractor, judge (LLM over loose positives, as the paper) or both")
    ] = "extractor",
    reward: Annotated[str, Opt(help="what rewards a template: loose (judge) or strict (extractor)")] = "loose",
    max_tokens: MaxTokens = 128,
    seed: Seed = 0,
    out: Annotated[Path, Opt("--out", "-o")] = Path("ice_results.json"),
    store: Store = None,
    progress: Progress = True,
) -> None:
    """ICE: fuzz identity questions through jailbreak-style templates and score loose / strict / hard identity conflicts."""
    from distillscope.app.audit import execute
    from distillscope.audit.config import load_audit_config
    from distillscope.cli.show_ice import show_ice

    config = load_audit_config(
        None,
        {
            "students": [target],
            "metrics": ["ice"],
            "helper": helper,
            "judge": judge,
            "facts": {target: facts} if facts else None,
            "ice_library": library,
            "ice_templates": templates,
            "ice_budget": budget,
            "ice_questions_per_iteration": questions_per_iteration,
            "strict_families": strict_families,
            "strict_judge": strict_judge,
            "ice_reward": reward,
            "max_tokens": max_tokens,
            "seed": seed,
            "store": store,
        },
    )
    show_ice(execute(config, "ice", out, progress))
    typer.echo(f"results: {out}", err=True)
