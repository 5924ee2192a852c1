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
_N = typer.Option("--n", min=1, help="prompts measured (a stratified sample)")
N = Annotated[int, _N]
NTrain = Annotated[int, typer.Option("--n-train", min=2, help="train prompts the learned adversaries fit on")]
_SEED = typer.Option("--seed", help="seed of the prompt sample, bootstraps and sampling")
Seed = Annotated[int, _SEED]
_MAX_TOKENS = typer.Option("--max-tokens", min=1, help="answer length limit of every model")
MaxTokens = Annotated[int, _MAX_TOKENS]
_TEMPERATURE = typer.Option("--temperature", min=0.0, max=2.0, help="sampling temperature of every model (0 = greedy)")
Temperature = Annotated[float, _TEMPERATURE]
_SAMPLES = typer.Option("--samples", min=1, help="answers per prompt per model, paired by sample index (use with --temperature > 0)")
Samples = Annotated[int, _SAMPLES]
# The same options where None means unset, so a config file's value or the default applies (`generate`);
# typer copies an option's settings per parameter, so one OptionInfo may stand behind both spellings.
OptionalN = Annotated[Optional[int], _N]
OptionalSeed = Annotated[Optional[int], _SEED]
OptionalMaxTokens = Annotated[Optional[int], _MAX_TOKENS]
OptionalTemperature = Annotated[Optional[float], _TEMPERATURE]
OptionalSamples = Annotated[Optional[int], _SAMPLES]
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
    """The command's parameters that are AuditConfig keys (same names; a metric's option by its flat name, e.g.
    `ice_budget`), with `extra` in place of any of the same name.

    None means unset (the config file's or the default value applies) and is left out.
    """
    from distillscope.audit.config import config_keys

    keys = config_keys()
    values = {k: v for k, v in params.items() if k in keys and k not in extra}
    return {k: v for k, v in {**values, **extra}.items() if v is not None}
