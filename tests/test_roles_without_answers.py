"""A role with no answers (every request failed, a replay file not covering the prompts) is said, not crashed on.

Each command reports "student X: no answers (N failed; first failure: ...)" and still computes and writes every
other student's results; a command with nothing to report for any student exits 2 with one line.
"""

from __future__ import annotations

import json

import pytest

# every request fails at once and is recorded (no retry, no circuit breaker): a student that answers nothing
DEAD = "mock/dead?circuit_breaker=0&max_retries=0&unreachable=1"  # options in sorted order: the ice command keys --facts by the spec as written
COMMON = ["--teacher", "mock/alpha", "--n", "12", "--max-tokens", "32", "--no-progress"]


@pytest.fixture(autouse=True)
def _hashing_embedder(monkeypatch):
    from distillscope.testing.hashing_embedder import HashingEmbedder

    monkeypatch.setattr("distillscope.metrics.embeddings.Embedder", lambda cache=None, **kw: HashingEmbedder(256))


def _one_line(code: int, err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


def _replay_of_other_prompts(tmp_path):
    path = tmp_path / "elsewhere.jsonl"
    path.write_text("".join(json.dumps({"prompt": f"a prompt not in the suite {i}", "response": "x"}) + "\n" for i in range(3)))
    return f"replay/{path}"


@pytest.mark.parametrize("command", ["similarity", "rse"])
def test_a_dead_student_is_reported_and_the_other_student_is_still_measured(cli, tmp_path, command):
    out = tmp_path / "out.json"
    extra = ["--judge", "mock/j?judge=rse", "--swap-n", "0"] if command == "rse" else []
    code, stdout, err = cli(command, *COMMON, "--student", "mock/beta", "--student", DEAD, *extra, "--ladder-n", "0", "-o", out)
    assert code == 0, err
    students = json.loads(out.read_text())["students"]
    assert students["mock/beta"][command] is not None and students["mock/beta"]["no_answers"] is None
    note = students["mock/dead"]["no_answers"]
    assert note["role"] == "student" and note["failed"] == note["asked"] == 12
    assert "ConnectionFailure" in note["first_failure"] and students["mock/dead"][command] is None
    assert "student mock/dead: no answers (12 of 12 requests failed; first failure: ConnectionFailure" in stdout


@pytest.mark.parametrize("command", ["similarity", "rse", "indist"])
def test_a_command_with_no_answers_for_any_student_exits_2_in_one_line(cli, tmp_path, command):
    out = tmp_path / "out.json"
    extra = {"rse": ["--judge", "mock/j?judge=rse", "--swap-n", "0"], "indist": ["--adversaries", "style", "--n-train", "12"]}
    code, _, err = cli(command, *COMMON, "--student", DEAD, *extra.get(command, []), "-o", out)
    line = _one_line(code, err)
    assert "student mock/dead: no answers (12 of 12 requests failed; first failure: ConnectionFailure" in line
    assert not out.exists()  # nothing to report: no results file that looks like a measurement


def test_indist_with_a_replay_file_that_covers_no_prompt_says_so_instead_of_a_traceback(cli, tmp_path):
    out = tmp_path / "out.json"
    replay = _replay_of_other_prompts(tmp_path)
    code, _, err = cli("indist", *COMMON, "--student", replay, "--adversaries", "style", "--n-train", "12", "-o", out)
    line = _one_line(code, err)
    assert "no answers (12 of 12 requests failed; first failure: GenerationError: no saved response" in line


def test_a_teacher_with_no_answers_is_named_as_the_cause(cli, tmp_path):
    code, _, err = cli("similarity", "--teacher", DEAD, "--student", "mock/beta", "--n", "12", "--no-progress", "-o", tmp_path / "o.json")
    line = _one_line(code, err)
    assert "teacher mock/dead: no answers" in line


def test_audit_writes_the_other_students_results_and_the_note(cli, tmp_path):
    config = {
        "teacher": "mock/alpha",
        "students": [DEAD, "mock/beta"],
        "metrics": ["similarity", "indist"],
        "adversaries": ["style"],
        "n": 12,
        "n_train": 12,
        "ladder_n": 0,
        "max_tokens": 32,
    }
    path = tmp_path / "audit.yaml"
    path.write_text(json.dumps(config), encoding="utf-8")
    code, stdout, err = cli("audit", "--config", path, "-o", tmp_path / "out", "--no-progress")
    assert code == 0, err
    students = json.loads((tmp_path / "out" / "results.json").read_text())["students"]
    assert students["mock/beta"]["similarity"] is not None and students["mock/beta"]["indist"] is not None
    assert students["mock/dead"]["no_answers"]["failed"] == 12 and students["mock/dead"]["indist"] is None
    assert students["mock/dead"]["verdict"] is None and students["mock/beta"]["verdict"] is not None  # no finding without answers
    assert "student mock/dead: no answers" in stdout


def test_the_sequential_test_of_a_dead_student_exits_2_in_one_line(cli, tmp_path):
    args = ["indist", "--sequential", "--teacher", "mock/alpha", "--student", DEAD]
    code, _, err = cli(*args, "--max-queries", "40", "--batch", "20", "--max-tokens", "32", "--out", tmp_path / "s.json", "--no-progress")
    line = _one_line(code, err)
    assert "student mock/dead: no answers" in line


def test_ice_of_a_dead_target_exits_2_in_one_line(cli, tmp_path):
    args = ["ice", "-t", DEAD, "--helper", "mock/helper?ice=helper", "-j", "mock/judge?ice=judge", "--facts", "qwen", "--budget", "10"]
    code, _, err = cli(*args, "-o", tmp_path / "ice.json", "--no-progress")
    line = _one_line(code, err)
    assert "student mock/dead: no answers" in line
