"""Options shared by `distill` and `distill sweep`."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

Teacher = Annotated[Optional[str], typer.Option("--teacher", "-t", help="the teacher model spec")]
Student = Annotated[Optional[str], typer.Option("--student", "-s", help="the student (local weights: builtin/, llamacpp/ or hf/)")]
NTest = Annotated[int, typer.Option("--n", "--n-test", min=4, help="test prompts measured before and after (a stratified sample)")]
Epochs = Annotated[int, typer.Option(min=1, help="LoRA training epochs")]
MaxLength = Annotated[int, typer.Option("--max-length", min=32, help="training sequence length in tokens")]
Pool = Annotated[
    Optional[int],
    typer.Option("--pool", min=1, help="buy from a stratified pool of this many train prompts (default: the whole train split)"),
]
TestSeed = Annotated[int, typer.Option("--test-seed", help="seed of the test-prompt sample (the same for every run)")]
NTrain = Annotated[
    int,
    typer.Option("--n-train", min=0, help="train prompts the adversaries learn from (never acquired; 0 = cross-fit on the test answers)"),
]
