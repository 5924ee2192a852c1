"""The floors of docs/design.md, enforced: pyproject.toml's import-linter contracts hold on the package as it is,
and break on a copy of it with one planted import that runs up a floor or closes a circle, inside a function too.

The same contracts run in `make lint` (`lint-imports`); these tests show that they can fail.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("importlinter")  # the dev extra

ROOT = Path(__file__).resolve().parents[1]
LINT = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(sys.argv[1], no_cache=True, no_logo=True))"


def lint_imports(where: Path) -> subprocess.CompletedProcess:
    """pyproject.toml's contracts on the `distillscope` package found in `where` (import-linter puts the cwd first on the path)."""
    return subprocess.run(
        [sys.executable, "-c", LINT, str(ROOT / "pyproject.toml")], cwd=where, capture_output=True, text=True, timeout=120
    )


def package_copy(tmp_path: Path) -> Path:
    """The package's Python files (no data) under tmp_path, to plant an import in."""
    shutil.copytree(
        ROOT / "distillscope",
        tmp_path / "distillscope",
        ignore=lambda folder, names: [n for n in names if n == "__pycache__" or (Path(folder, n).is_file() and not n.endswith(".py"))],
    )
    return tmp_path


def test_the_package_keeps_its_floors_and_has_no_circles():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "planted", "broken"),
    [
        # a backend reaching up to the command line, inside a function where no import-time error would show it
        ("models/mock.py", "import distillscope.cli", "distillscope.models is not allowed to import distillscope.cli"),
        # a measure reaching up to the audit's pipeline
        (
            "metrics/similarity.py",
            "from distillscope.pipeline import audit",
            "distillscope.metrics is not allowed to import distillscope.pipeline",
        ),
        # no floor crossed, but the store would import the runner that imports it: a circle inside runner/
        ("runner/store/core.py", "import distillscope.runner.runner", "No cycles are allowed in distillscope.runner"),
    ],
)
def test_a_planted_import_breaks_the_contract(tmp_path, module, planted, broken):
    copy = package_copy(tmp_path)
    path = copy / "distillscope" / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n\ndef _planted():\n    {planted}\n", encoding="utf-8")
    result = lint_imports(copy)
    assert result.returncode != 0
    assert broken in result.stdout, result.stdout + result.stderr
