"""The options every command shares, each with one meaning everywhere (audit included).

--suite    a JSONL/CSV prompt suite; default: the packaged one
--split    the split the measured prompts come from: test, train or all
--n        how many prompts are measured (a stratified sample of the split)
--seed     the seed of the prompt sample, the bootstraps and the sampling
--store    the response store (SQLite)
--max-tokens, --temperature   how every model is sampled (0 = greedy)
--samples  answers per prompt per model, paired by sample index
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def _checked_store_path(value: Optional[Path]) -> Optional[Path]:
    """--store must name a file in an existing directory: a typo must not start a new, empty store elsewhere."""
    if value is None:
        return None
    from distillscope.paths import check_parent

    return check_parent(value, "--store")  # an existing read-only store may still be inspected


Store = Annotated[
    Optional[Path],
    typer.Option("--store", help="response store (SQLite); default $DISTILLSCOPE_STORE or the user data dir", callback=_checked_store_path),
]
Suite = Annotated[Optional[Path], typer.Option("--suite", help="a JSONL/CSV prompt suite; default: the packaged one")]
Split = Annotated[str, typer.Option("--split", help="the split the measured prompts come from: test, train or all")]
N = Annotated[int, typer.Option("--n", min=1, help="prompts measured (a stratified sample)")]
NTrain = Annotated[int, typer.Option("--n-train", min=2, help="train prompts the learned adversaries fit on")]
Seed = Annotated[int, typer.Option("--seed", help="seed of the prompt sample, bootstraps and sampling")]
MaxTokens = Annotated[int, typer.Option("--max-tokens", min=1, help="answer length limit of every model")]
Temperature = Annotated[float, typer.Option("--temperature", min=0.0, max=2.0, help="sampling temperature of every model (0 = greedy)")]
Samples = Annotated[
    int, typer.Option("--samples", min=1, help="answers per prompt per model, paired by sample index (use with --temperature > 0)")
]
Progress = Annotated[bool, typer.Option(help="show progress")]
JudgeMode = Annotated[str, typer.Option("--judge-mode", help="auto (token probabilities where the backend gives them), text or logprob")]
LadderN = Annotated[int, typer.Option("--ladder-n", min=0, help="prompts on the control ladder (0: no validity check)")]
ForceInvalid = Annotated[
    bool,
    typer.Option(
        "--force-invalid", help="score the students with a judge measure its control showed invalid (default: skip it and save the calls)"
    ),
]
Students = Annotated[list[str], typer.Option("--student", "-s", help="a student model spec; repeat for several")]


Out = Annotated[Path, typer.Option("--out", "-o", help="the results JSON")]


def config_values(params: dict, **extra: object) -> dict:
    """The command's parameters that are AuditConfig fields (same names), with `extra` in place of any of the same name.

    None means unset (the config file's or the default value applies) and is left out.
    """
    from distillscope.audit.config import AuditConfig

    values = {k: v for k, v in params.items() if k in AuditConfig.model_fields and k not in extra}
    return {k: v for k, v in {**values, **extra}.items() if v is not None}
