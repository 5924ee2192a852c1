"""Regenerate fixture_results.json: a small audit of mock models, for `report` tests and the wheel check.

Run from the repo root after a change to the results format:
    python tests/data/make_fixture_results.py
Mock models and the hashing embedder only: offline, a few seconds.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

import distillscope.metrics.embeddings as embeddings
from distillscope.testing.hashing_embedder import HashingEmbedder

HERE = Path(__file__).resolve().parent
JUDGE = "mock/judge?judge=auto"


def main() -> None:
    embeddings.Embedder = lambda cache=None, **kw: HashingEmbedder()
    from distillscope.cli import main as cli

    config = {
        "teacher": "mock/alpha",
        "students": ["mock/beta", "mock/alpha?variant=1"],
        "judge": JUDGE,
        "facts": {"mock/beta": "qwen", "mock/alpha?variant=1": "qwen"},
        "n": 8,
        "n_train": 8,
        "ice_budget": 5,
        "max_tokens": 32,
        "swap_n": 2,
        "pairwise_judges": {"mock/beta": JUDGE, "mock/alpha?variant=1": JUDGE},
        "adversaries": ["style", "mmd", "judge"],
    }
    work = Path(tempfile.mkdtemp())
    try:
        (work / "audit.yaml").write_text(json.dumps(config), encoding="utf-8")
        try:
            cli(
                [
                    "audit",
                    "--config",
                    str(work / "audit.yaml"),
                    "-o",
                    str(work / "out"),
                    "--no-progress",
                    "--store",
                    str(work / "store.sqlite"),
                ]
            )
        except SystemExit as exit_:
            if exit_.code:
                raise
        shutil.copy(work / "out" / "results.json", HERE / "fixture_results.json")
        print(f"wrote {HERE / 'fixture_results.json'}", file=sys.stderr)
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
