from __future__ import annotations

import json
from pathlib import Path

import pytest

from distillscope.cli import main


@pytest.fixture(autouse=True)
def isolated_store(tmp_path, monkeypatch) -> Path:
    """Every test gets its own store, so no test sees another's answers."""
    path = tmp_path / "store.sqlite"
    monkeypatch.setenv("DISTILLSCOPE_STORE", str(path))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps tables at the terminal width
    return path


@pytest.fixture
def runner(tmp_path):
    """A runner over a fresh store, closed after the test."""
    from distillscope.runner.runner import Runner
    from distillscope.runner.store import ResponseStore

    with Runner(ResponseStore(tmp_path / "runner.sqlite"), show_progress=False) as runner:
        yield runner


@pytest.fixture
def write_prompts(tmp_path):
    def write(texts: list[str], name: str = "prompts.jsonl") -> Path:
        path = tmp_path / name
        path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
        return path

    return write


@pytest.fixture
def cli(capsys):
    """Run the CLI in-process; returns (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as exit_info:
            main([str(a) for a in args])
        captured = capsys.readouterr()
        return exit_info.value.code, captured.out, captured.err

    return run


@pytest.fixture(scope="session")
def small_dose_zoo(tmp_path_factory):
    """`zoo build --small --dose` once per test session (about a minute): the dose tests only read it."""
    pytest.importorskip("peft")
    from typer.testing import CliRunner

    from distillscope.cli.app import app

    zoo = tmp_path_factory.mktemp("dose") / "zoo"
    result = CliRunner().invoke(app, ["zoo", "build", "--small", "--dose", "--dir", str(zoo)])
    assert result.exit_code == 0, result.output
    return zoo
