"""Extension points: a plugin package installed into a virtualenv adds a backend, a metric, an adversary and an
attribution signal, and distillscope runs them with no change to itself; a bad name or a broken plugin is one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

from distillscope.errors import UserError
from distillscope.plugins import PluginLoadError, Registry, UnknownNameError, entry_points_of

PLUGIN = '''
"""A distillscope plugin: a backend, a metric, an adversary and an attribution signal, one module."""

import numpy as np
from pydantic import BaseModel

from distillscope.indist.adversaries import Adversary
from distillscope.models.base import Model
from distillscope.pipeline.metric import MetricBase, Row
from distillscope.types import Completion


class EchoModel(Model):
    """Echoes the question: echo/short its first three words, echo/long all of it, twice."""

    provider = "echo"
    local = True
    example = "echo/short"

    async def generate(self, requests):
        out = []
        for request in requests:
            words = request.messages[-1].content.split()
            text = " ".join(words[:3]) if self.spec.name == "short" else " ".join(words * 2)
            out.append(Completion(text=text, finish_reason="stop"))
        return out


class LengthRatio(BaseModel):
    ratio: float
    n: int


class LengthRatioMetric(MetricBase):
    """Words in the student's answers over words in the teacher's."""

    name = "echo_length"

    def evaluate(self, run, student):
        pairs = student.test
        teacher = sum(len(t.split()) for t in pairs.teacher)
        return LengthRatio(ratio=sum(len(s.split()) for s in pairs.student) / max(teacher, 1), n=len(pairs.teacher))

    def rows(self, student, result, results):
        data = result if isinstance(result, dict) else result.model_dump()
        return [Row(student=student, metric="echo length ratio", mean=data["ratio"], n=data["n"])]


class LengthAdversary(Adversary):
    name = "lengthy"
    description = "answer length: the teacher's answers are longer"

    def _fit(self, texts, labels, groups):
        lengths = np.asarray([len(t.split()) for t in texts], dtype=float)
        self.cut = (lengths[labels == 0].max() + lengths[labels == 1].min()) / 2  # the student's answers are shorter

    def _log_odds(self, texts):
        return np.asarray([len(t.split()) - self.cut for t in texts], dtype=float)


def length_adversary(embedder, options):
    return LengthAdversary()


def length_gap(bank, x, t):
    """Minus the word-count gap between X's and T's answers, per prompt."""
    rows = bank.table.rows(x, t)
    return {pid: -abs(len(a.split()) - len(b.split()))
            for pid, a, b in zip(bank.table.ids(rows), bank.table.texts(x, rows), bank.table.texts(t, rows))}
'''

PYPROJECT = """
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "ds-echo-plugin"
version = "0.1"

[tool.setuptools]
py-modules = ["ds_echo_plugin"]

[project.entry-points."distillscope.providers"]
echo = "ds_echo_plugin:EchoModel"

[project.entry-points."distillscope.metrics"]
echo_length = "ds_echo_plugin:LengthRatioMetric"

[project.entry-points."distillscope.adversaries"]
lengthy = "ds_echo_plugin:length_adversary"

[project.entry-points."distillscope.attribution_signals"]
length_gap = "ds_echo_plugin:length_gap"
"""


#: no network, no build environment: the plugin builds with the setuptools this interpreter already has
PIP_OFFLINE = ("--no-deps", "--no-build-isolation", "--no-index", "-q")


@pytest.fixture(scope="module")
def plugin_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv that sees this interpreter's packages (distillscope included) plus the installed plugin."""
    root = tmp_path_factory.mktemp("plugin")
    source = root / "src"
    source.mkdir()
    (source / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (source / "ds_echo_plugin.py").write_text(textwrap.dedent(PLUGIN), encoding="utf-8")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    # a virtualenv made from a virtualenv sees the base interpreter's packages, not ours: add ours (their .pth files
    # too, so an editable distillscope resolves) behind the new environment's own
    site_dir = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], check=True, capture_output=True, text=True
    ).stdout.strip()
    ours = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    (Path(site_dir) / "zz_parent_env.pth").write_text("".join(f"import site; site.addsitedir({p!r})\n" for p in ours), encoding="utf-8")
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", *PIP_OFFLINE, str(source)],
        check=True,
        env=env,
        cwd=root,
    )
    return python


def _run(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run([str(python), "-m", "distillscope", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def test_a_plugin_backend_metric_and_adversary_run_from_their_entry_points(plugin_python: Path, tmp_path: Path) -> None:
    listed = _run(plugin_python, "models", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "echo/short" in listed.stdout and "ds-echo-plugin" in listed.stdout

    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"id": f"p{i}", "text": f"tell me about topic number {i}"}) + "\n" for i in range(3)))
    generated = _run(
        plugin_python, "generate", "-m", "echo/short", "-p", str(prompts), "-o", "answers.jsonl", "--store", "s.sqlite", cwd=tmp_path
    )
    assert generated.returncode == 0, generated.stderr
    answers = [json.loads(line) for line in (tmp_path / "answers.jsonl").read_text().splitlines()]
    assert [(a["model"], a["response"]) for a in answers] == [("echo/short", "tell me about")] * 3

    audit = _run(
        plugin_python,
        "audit", "-t", "echo/long", "-s", "echo/short", "--metrics", "echo_length", "--n", "6",
        "--out-dir", "out", "--store", "s.sqlite", "--no-progress",
        cwd=tmp_path,
    )  # fmt: skip
    assert audit.returncode == 0, audit.stderr
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    (result,) = [s["plugins"]["echo_length"] for s in results["students"].values()]
    assert result["n"] == 6 and 0 < result["ratio"] < 0.5  # three words against the whole question twice
    assert "echo length ratio" in audit.stdout and "echo length ratio" in (tmp_path / "out" / "report.html").read_text()
    assert results["cost"]["total"]["cost"] == 0  # the backend says it is local: no price needed, none guessed

    indist = _run(
        plugin_python,
        "indist", "-t", "echo/long", "-s", "echo/short", "--adversaries", "lengthy", "--n", "10", "--n-train", "10",
        "--out", "indist.json", "--store", "s.sqlite", "--no-progress",
        cwd=tmp_path,
    )  # fmt: skip
    assert indist.returncode == 0, indist.stderr
    (section,) = [s["indist"] for s in json.loads((tmp_path / "indist.json").read_text())["students"].values()]
    assert section["learned"]["lengthy"]["advantage"]["mean"] >= 0.8  # length tells them apart (a one-word Chinese prompt aside)

    wrong = _run(plugin_python, "indist", "-t", "echo/long", "-s", "echo/short", "--adversaries", "lengthly", cwd=tmp_path)
    assert wrong.returncode == 2 and "did you mean 'lengthy'" in wrong.stderr and "lengthy" in wrong.stderr


def test_a_plugin_attribution_signal_is_known_and_oriented(plugin_python: Path, tmp_path: Path) -> None:
    code = textwrap.dedent(
        """
        from distillscope.attribution.answers import AnswerTable
        from distillscope.attribution.attribute import parse_signals
        from distillscope.attribution.signals import SignalBank, score
        from distillscope.types import Prompt

        prompts = [Prompt(id=f"p{i}", text="q") for i in range(6)]
        answers = {"T": ["a b c d"] * 6, "S": ["a b c"] * 6, "B": ["a"] * 6}  # the student moved toward T's length
        result = score(SignalBank(AnswerTable(prompts=prompts, answers=answers), None, {}), "length_gap", "S", "B", "T", [])
        print(parse_signals("similarity,length_gap"), result.value.mean, result.margin.mean)
        """
    )
    out = subprocess.run([str(plugin_python), "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["['similarity',", "'length_gap']", "-1.0", "2.0"]


def _install_fake_distribution(root: Path, group: str, name: str, target: str) -> None:
    dist = root / "broken_plugin-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 1.0\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text(f"[{group}]\n{name} = {target}\n", encoding="utf-8")


def test_a_broken_plugin_is_named_with_its_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _install_fake_distribution(tmp_path, "distillscope.test_point", "ghost", "no_such_module_xyz:Thing")
    monkeypatch.syspath_prepend(str(tmp_path))
    entry_points_of.cache_clear()
    try:
        registry: Registry[object] = Registry("test_point", "widget", {"json": "json:dumps"})
        assert registry.names() == ("json", "ghost") and registry.plugin_names() == ("ghost",)
        assert registry.load("json") is json.dumps
        with pytest.raises(PluginLoadError) as broken:
            registry.load("ghost")
        line = broken.value.one_line()
        assert "broken-plugin 1.0" in line and "no_such_module_xyz" in line and "pip uninstall broken-plugin" in line
        with pytest.raises(UnknownNameError, match=r"unknown widget 'gohst' \(did you mean 'ghost'\?\).*ghost, json"):
            registry.load("gohst")
    finally:
        entry_points_of.cache_clear()


def test_a_builtin_name_wins_over_a_plugin_of_the_same_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _install_fake_distribution(tmp_path, "distillscope.test_point", "json", "no_such_module_xyz:Thing")
    monkeypatch.syspath_prepend(str(tmp_path))
    entry_points_of.cache_clear()
    try:
        registry: Registry[object] = Registry("test_point", "widget", {"json": "json:dumps"})
        assert registry.entry("json").distribution is None and registry.load("json") is json.dumps
    finally:
        entry_points_of.cache_clear()


def test_capabilities_replace_provider_name_switches() -> None:
    from distillscope.attribution.likelihood import hf_spec_for
    from distillscope.models.registry import PROVIDERS, backend_of
    from distillscope.runner.cost import PriceTable
    from distillscope.zoo.build import served

    local = {name for name in PROVIDERS if (backend := backend_of(name)) is not None and backend.local}
    assert local == {"builtin", "llamacpp", "hf", "mock", "replay"}
    assert PriceTable().price_of("openai/gpt-4o") is None and PriceTable().price_of("mock/x").cost(10**6, 10**6) == 0
    assert PriceTable().price_of("nosuch/x") is None
    assert hf_spec_for("hf/m?dtype=float32") == "hf/m?dtype=float32"
    assert served("llamacpp/m.gguf", threads=2) == "llamacpp/m.gguf?n_threads=2" and served("openai/x", threads=2) == "openai/x"
    assert served("hf/m").endswith("?batch_size=64")


def test_unknown_names_are_one_line_errors_naming_the_closest() -> None:
    from distillscope.indist.registry import check_adversaries, learned_names

    assert learned_names()[:3] == ("style", "embed", "encoder")
    with pytest.raises(UserError, match=r"unknown adversary 'stlye' \(did you mean 'style'\?\)"):
        check_adversaries(["stlye"])
    with pytest.raises(UserError, match="unknown adversary 'mmd'"):
        check_adversaries(["mmd"], learned_only=True)  # distill trains learned adversaries only


def test_the_help_lists_every_builtin_name() -> None:
    """The signals' help is written out (importing the attribution package would slow `--help`): it must keep up."""
    from typing import get_args

    from distillscope.attribution.signal_registry import BUILTIN
    from distillscope.cli.attribute_cmd import Signals
    from distillscope.indist.registry import BUILTIN as ADVERSARIES
    from distillscope.indist.registry import help_text

    assert f"comma-separated: {','.join(BUILTIN)} " in get_args(Signals)[1].help
    assert all(f"{name} (" in help_text() for name in ADVERSARIES)
    assert "mmd" not in help_text(learned_only=True)
