"""`distillscope rse` and `distillscope similarity` end to end, on replayed answers."""

import json

import pytest
from golden_runs import replay_files

from distillscope.probes.suite import load_suite


@pytest.fixture
def replay_setup(tmp_path):
    """A suite of the 24 replay prompts and replay specs of two built-ins' answers (the golden runs' fixture)."""
    return replay_files(tmp_path)


def test_rse_command_writes_versioned_results(cli, replay_setup, tmp_path):
    suite, files = replay_setup
    out = tmp_path / "rse.json"
    code, stdout, err = cli(
        "rse",
        "--reference",
        files["qwen_greedy"],
        "--student",
        files["smollm2_greedy"],
        "--student",
        files["qwen_greedy"],
        "--judge",
        "mock/j?judge=rse",
        "--suite",
        suite,
        "--n",
        "12",
        "--split",
        "all",
        "--swap-n",
        "4",
        "--out",
        out,
        "--no-progress",
    )
    assert code == 0, err
    data = json.loads(out.read_text())
    assert data["schema"] == "distillscope.results/2" and data["kind"] == "rse"
    assert data["suite"]["version"] == load_suite(suite).version
    assert data["models"]["judge"] == "mock/j?judge=rse" and len(data["models"]["students"]) == 2
    assert len(data["prompts"]["test_ids"]) == 12
    self_result = data["students"][files["qwen_greedy"]]["rse"]
    assert self_result["rse"]["mean"] == 5.0 and self_result["n_scored"] == 12
    assert data["students"][files["smollm2_greedy"]]["rse"]["rse"]["mean"] < 5.0
    assert "RSE of" in stdout and "position-bias control" in stdout


def test_similarity_command(cli, replay_setup, tmp_path):
    pytest.importorskip("sentence_transformers")
    suite, files = replay_setup
    out = tmp_path / "sim.json"
    code, stdout, err = cli(
        "similarity",
        "--reference",
        files["qwen_greedy"],
        "--student",
        files["smollm2_greedy"],
        "--suite",
        suite,
        "--n",
        "8",
        "--split",
        "all",
        "--out",
        out,
        "--no-progress",
    )
    assert code == 0, err
    data = json.loads(out.read_text())
    result = data["students"][files["smollm2_greedy"]]["similarity"]
    assert result["embedder"] == "all-MiniLM-L6-v2"
    assert 0 < result["overall"]["cosine"]["mean"] < 1 and result["n_pairs"] == 8
    assert {"cosine", "rouge_l", "chrf"} <= set(result["overall"])


def test_rse_with_unknown_judge_provider_fails_in_one_line(cli, replay_setup):
    suite, files = replay_setup
    code, _, err = cli(
        "rse",
        "--reference",
        files["qwen_greedy"],
        "--student",
        files["smollm2_greedy"],
        "--judge",
        "nosuch/judge",
        "--suite",
        suite,
        "--n",
        "3",
    )
    assert code == 2 and err.startswith("error: unknown model provider 'nosuch'")
