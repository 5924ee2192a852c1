"""No command writes over the store, an input, or another output of its run; outputs are replaced only when complete;
every store location is checked the same way (issue 29, defects 1 and 5)."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest

from distillscope.errors import UserError


def stored_answers(path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]


@pytest.fixture
def filled_store(tmp_path, cli, write_prompts):
    """A store with three answers, and the prompts file that asked them."""
    prompts = write_prompts(["one", "two", "three"])
    store = tmp_path / "answers.sqlite"
    code, _, err = cli("generate", "-m", "mock/m", "-p", prompts, "--store", store, "--no-progress")
    assert code == 0, err
    assert stored_answers(store) == 3
    return store, prompts


def assert_refused(code: int, err: str, *words: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for word in words:
        assert word in err, err


@pytest.mark.parametrize("spelling", ["same", "dot", "symlink", "hardlink", "wal"])
def test_generate_out_never_writes_over_the_store(filled_store, tmp_path, cli, monkeypatch, spelling):
    store, prompts = filled_store
    monkeypatch.chdir(tmp_path)
    out = {"same": store, "dot": "./answers.sqlite", "wal": tmp_path / "answers.sqlite-wal"}.get(spelling)
    if spelling == "symlink":
        out = tmp_path / "link.jsonl"
        out.symlink_to(store)
    if spelling == "hardlink":
        out = tmp_path / "hard.jsonl"
        os.link(store, out)
    code, _, err = cli("generate", "-m", "mock/m", "-p", prompts, "--store", "answers.sqlite", "--out", out, "--no-progress")
    assert_refused(code, err, "--out")
    assert stored_answers(store) == 3  # every answer still there


def test_generate_out_never_writes_over_its_prompts_or_config(tmp_path, cli, write_prompts):
    prompts = write_prompts(["one", "two"])
    before = prompts.read_bytes()
    code, _, err = cli("generate", "-m", "mock/m", "-p", prompts, "--out", tmp_path / "." / prompts.name, "--no-progress")
    assert_refused(code, err, "--prompts")
    assert prompts.read_bytes() == before
    config = tmp_path / "config.yaml"
    config.write_text("sampling:\n  temperature: 0\n", encoding="utf-8")
    code, _, err = cli("generate", "-m", "mock/m", "-p", prompts, "--config", config, "--out", config, "--no-progress")
    assert_refused(code, err, "--config")
    assert config.read_text(encoding="utf-8").startswith("sampling")


def test_probes_sample_out_never_writes_over_the_default_store(filled_store, cli, isolated_store, tmp_path):
    store, _ = filled_store
    code, _, err = cli("generate", "-m", "mock/m", "-p", filled_store[1], "--no-progress")  # fills $DISTILLSCOPE_STORE
    assert code == 0, err
    code, _, err = cli("probes", "sample", "--n", "3", "-o", isolated_store)
    assert_refused(code, err, "response store")
    assert stored_answers(isolated_store) == 3
    code, _, err = cli("probes", "sample", "--n", "3", "-o", store)  # any SQLite database, not only a known store
    assert_refused(code, err, "SQLite")
    assert stored_answers(store) == 3


def test_claims_out_never_writes_over_its_input_or_a_store(filled_store, cli, tmp_path, monkeypatch):
    store, _ = filled_store
    answers = tmp_path / "answers.jsonl"
    answers.write_text(json.dumps({"text": "I am Claude, made by Anthropic."}) + "\n", encoding="utf-8")
    before = answers.read_bytes()
    monkeypatch.chdir(tmp_path)
    code, _, err = cli("claims", "answers.jsonl", "-o", "./answers.jsonl")
    assert_refused(code, err, "input")
    assert answers.read_bytes() == before
    code, _, err = cli("claims", answers, "-o", store)
    assert_refused(code, err)
    assert stored_answers(store) == 3


def test_store_export_never_writes_over_the_store_it_reads(filled_store, cli, tmp_path):
    store, _ = filled_store
    link = tmp_path / "export.jsonl"
    link.symlink_to(store)
    code, _, err = cli("store", "export", "--store", store, "--out", link)
    assert_refused(code, err, "response store")
    assert stored_answers(store) == 3


def test_two_outputs_of_one_run_are_refused(tmp_path):
    from distillscope.paths import guard_outputs

    with pytest.raises(UserError, match="the path of --out"):
        guard_outputs({"--out": tmp_path / "r.json", "the HTML report": tmp_path / "." / "r.json"})


def test_a_failed_refresh_keeps_the_answers_in_out(tmp_path, cli, write_prompts, monkeypatch):
    """A refresh whose every request fails writes the answers still stored, never an empty --out."""
    from distillscope.testing.stub_server import StubConfig, StubServer

    prompts = write_prompts(["one", "two"])
    out = tmp_path / "answers.jsonl"
    config = StubConfig()
    with StubServer(config) as server:
        spec = f"openai/stub?base_url={server.base_url}"
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        code, _, err = cli("generate", "-m", spec, "-p", prompts, "-o", out, "--no-progress")
        assert code == 0, err
        assert len(out.read_text(encoding="utf-8").splitlines()) == 2
        config.generation_status = 400  # every request now fails (not retried)
        code, _, err = cli("generate", "-m", spec, "-p", prompts, "-o", out, "--refresh", "--no-progress")
    assert code == 1, err
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["response"] for r in rows] == ["stub answer to: one", "stub answer to: two"]


def test_atomic_writes_leave_the_old_file_whole_on_failure(tmp_path):
    from distillscope.paths import atomic_open, atomic_write_text

    target = tmp_path / "results.jsonl"
    target.write_text("old\n", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_open(target) as handle:
            handle.write("half")
            raise RuntimeError("killed mid-write")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.jsonl"]  # no temporary left behind
    atomic_write_text(target, "new\n")
    assert target.read_text(encoding="utf-8") == "new\n"


def test_a_symlinked_output_is_written_through_to_its_target(tmp_path):
    from distillscope.paths import atomic_write_text

    real = tmp_path / "real.json"
    real.write_text("{}", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    atomic_write_text(link, '{"a": 1}')
    assert link.is_symlink() and real.read_text(encoding="utf-8") == '{"a": 1}'


@pytest.mark.parametrize("where", ["env", "flag", "config"])
def test_every_store_location_in_a_missing_directory_is_refused(tmp_path, cli, write_prompts, monkeypatch, where):
    prompts = write_prompts(["one"])
    missing = tmp_path / "no-such-dir" / "store.sqlite"
    args = ["generate", "-m", "mock/m", "-p", prompts, "--no-progress"]
    if where == "env":
        monkeypatch.setenv("DISTILLSCOPE_STORE", str(missing))
    elif where == "flag":
        args += ["--store", missing]
    else:
        config = tmp_path / "config.yaml"
        config.write_text(f"store: {missing}\n", encoding="utf-8")
        args += ["--config", config]
    code, _, err = cli(*args)
    assert_refused(code, err, "does not exist", "mkdir -p")
    assert not missing.parent.exists()  # never silently created


def test_the_default_store_directory_is_the_one_created(tmp_path, monkeypatch):
    from distillscope.paths import store_location

    monkeypatch.delenv("DISTILLSCOPE_STORE")
    monkeypatch.setattr("platformdirs.user_data_dir", lambda name: str(tmp_path / "data" / name))
    assert store_location(None) == tmp_path / "data" / "distillscope" / "store.sqlite"
    assert (tmp_path / "data" / "distillscope").is_dir()


@pytest.mark.parametrize("role", ["store", "prompts"])
def test_a_log_file_is_never_the_store_or_an_input(tmp_path, role):
    """`--log FILE` appends to FILE: it must not be the run's store or its prompts file, which it would damage."""
    import subprocess
    import sys

    prompts = tmp_path / "p.jsonl"
    prompts.write_text('{"text": "hi"}\n', encoding="utf-8")
    store = tmp_path / "s.sqlite"
    base = [sys.executable, "-m", "distillscope", "generate", "--model", "mock/a", "--prompts", str(prompts), "--store", str(store)]
    assert subprocess.run([*base, "--no-progress"], capture_output=True).returncode == 0
    target = store if role == "store" else prompts
    before = target.read_bytes()
    done = subprocess.run(
        [sys.executable, "-m", "distillscope", "--log", str(target), *base[3:], "--no-progress"], capture_output=True, text=True
    )
    assert done.returncode == 2 and done.stderr.startswith("error: ") and "--log" in done.stderr, done.stderr
    assert target.read_bytes() == before
