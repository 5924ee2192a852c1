"""The command line: outputs, exit codes, and one-line errors for every bad input."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from distillscope.runner.store import ResponseStore

HEAVY = ("torch", "transformers", "openai", "llama_cpp", "sentence_transformers", "peft", "pandas")


def _assert_one_line_error(code, err, *fragments):
    assert code == 2, err
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Fix: " in lines[0], err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_help_imports_no_heavy_module():
    code = (
        "import sys; from distillscope.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit: pass\nprint('HEAVY:' + ','.join(m for m in %r if m in sys.modules))"
        % (HEAVY,)
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "Usage" in out and out.strip().splitlines()[-1] == "HEAVY:"


def test_generate_writes_answers_and_reuses_them(cli, write_prompts, tmp_path, isolated_store):
    prompts = write_prompts(["alpha", "beta", "gamma"])
    out = tmp_path / "answers.jsonl"
    code, _, err = cli(
        "generate", "--model", "mock/m", "--prompts", prompts, "--samples", "2", "--temperature", "0.5", "--out", out, "--no-progress"
    )
    assert code == 0, err
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 6 and {r["prompt"] for r in rows} == {"alpha", "beta", "gamma"}
    assert not any(r["cached"] for r in rows)
    code, _, _ = cli(
        "generate", "--model", "mock/m", "--prompts", prompts, "--samples", "2", "--temperature", "0.5", "--out", out, "--no-progress"
    )
    assert code == 0 and all(json.loads(line)["cached"] for line in out.read_text().splitlines())


def test_generate_n_is_a_stratified_sample_of_prompts_and_limit_the_first_ones(cli, tmp_path):
    prompts = tmp_path / "p.jsonl"
    prompts.write_text("".join(json.dumps({"text": f"q{i}", "category": "ab"[i % 2]}) + "\n" for i in range(10)), encoding="utf-8")
    out = tmp_path / "a.jsonl"
    code, _, err = cli(
        "generate", "-m", "mock/m", "-p", prompts, "--n", "4", "--samples", "2", "--temperature", "0.5", "-o", out, "--no-progress"
    )
    assert code == 0 and "--n is the number of prompts" in err, err
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    chosen = list(dict.fromkeys(r["prompt"] for r in rows))
    assert len(rows) == 8 and len(chosen) == 4 and sorted(r["category"] for r in rows) == ["a"] * 4 + ["b"] * 4
    assert chosen == sorted(chosen, key=lambda text: int(text[1:]))  # in file order
    code, _, err = cli("generate", "-m", "mock/m", "-p", prompts, "--limit", "3", "-o", out, "--no-progress")
    assert code == 0 and [json.loads(line)["prompt"] for line in out.read_text().splitlines()] == ["q0", "q1", "q2"]
    code, _, err = cli("generate", "-m", "mock/m", "-p", prompts, "--limit", "3", "--n", "2", "--no-progress")
    _assert_one_line_error(code, err.replace(err.splitlines()[0] + "\n", ""), "--n and --limit")


def test_generate_with_a_role_from_the_config(cli, write_prompts, tmp_path):
    config = tmp_path / "audit.yaml"
    store = tmp_path / "cfg.sqlite"
    config.write_text(f"teacher: mock/teacher\nstudents: [mock/s1, {{spec: mock/s2, options: {{latency: 0}}}}]\nstore: {store}\n")
    code, _, err = cli("generate", "--config", config, "--model", "student2", "--prompts", write_prompts(["x"]), "--no-progress")
    assert code == 0, err
    with ResponseStore(store) as s:
        assert [row["model"] for row in s.stats().per_model] == ["mock/s2"]


def test_store_stats_and_export(cli, write_prompts, tmp_path):
    cli("generate", "--model", "mock/m", "--prompts", write_prompts(["a", "b"]), "--no-progress")
    code, out, _ = cli("store", "stats")
    assert code == 0 and "mock/m" in out and "2 answers" in out
    code, _, err = cli("store", "export", "--out", tmp_path / "x.parquet")
    assert code == 0 and "exported 2 answers" in err
    code, _, err = cli("store", "export", "--out", tmp_path / "x.xlsx")
    _assert_one_line_error(code, err, ".jsonl or .parquet")


def test_models_lists_backends_and_builtins(cli):
    code, out, _ = cli("models")
    assert code == 0
    for name in ("openai", "llamacpp", "hf", "replay", "mock", "qwen2.5-coder-0.5b-instruct", "gemma-3-270m", "smollm2-135m-instruct"):
        assert name in out


def test_failed_requests_exit_nonzero_and_say_how_to_retry(cli, write_prompts):
    from distillscope.types import Prompt

    bad = Prompt(text="b").id
    code, _, err = cli("generate", "--model", f"mock/m?fail_prompts={bad}", "--prompts", write_prompts(["a", "b"]), "--no-progress")
    assert code == 1 and "1 request(s) failed" in err and "Re-run" in err


# -- every bad input: one line naming cause and fix, exit code 2, nothing lost -------------


def test_unknown_provider(cli, write_prompts):
    code, _, err = cli("generate", "--model", "nosuch/model", "--prompts", write_prompts(["x"]))
    _assert_one_line_error(code, err, "unknown model provider 'nosuch'", "distillscope models")


def test_spec_without_provider(cli, write_prompts):
    code, _, err = cli("generate", "--model", "gpt-4o", "--prompts", write_prompts(["x"]))
    _assert_one_line_error(code, err, "has no provider")


def test_missing_extra_names_the_pip_command(cli, write_prompts, monkeypatch):
    monkeypatch.setitem(sys.modules, "openai", None)  # makes `import openai` fail
    code, _, err = cli("generate", "--model", "openai/m?base_url=http://127.0.0.1:9/v1", "--prompts", write_prompts(["x"]))
    _assert_one_line_error(code, err, "pip install 'distillscope[api]'")


def test_missing_api_key(cli, write_prompts):
    code, _, err = cli("generate", "--model", "openai/gpt-4o-mini", "--prompts", write_prompts(["x"]))
    _assert_one_line_error(code, err, "$OPENAI_API_KEY is not set", "export OPENAI_API_KEY")


def test_named_api_key_variable_missing(cli, write_prompts):
    spec = "openai/m?base_url=http://127.0.0.1:9/v1&api_key_env=MY_PROVIDER_KEY"
    code, _, err = cli("generate", "--model", spec, "--prompts", write_prompts(["x"]))
    _assert_one_line_error(code, err, "$MY_PROVIDER_KEY")


def test_unreachable_server_loses_nothing_stored(cli, write_prompts, isolated_store):
    prompts = write_prompts(["a", "b", "c"])
    assert cli("generate", "--model", "mock/m", "--prompts", prompts, "--no-progress")[0] == 0
    spec = f"openai/m?base_url=http://127.0.0.1:{_closed_port()}/v1"
    code, _, err = cli("generate", "--model", spec, "--prompts", prompts, "--no-progress")
    _assert_one_line_error(code, err, "cannot reach the server", "start the server or correct base_url")
    with ResponseStore(isolated_store) as store:
        stats = store.stats()
    assert (stats.responses, stats.failures) == (3, 0)


@pytest.mark.parametrize(
    "content, fragment",
    [
        ('{"text": "ok"}\n{"text": "broken",\n', "line 2: invalid JSON"),
        ('{"text": "ok"}\n\n["a list"]\n', "line 3: expected a JSON object"),
        ('{"text": "ok"}\n{"prompt_text": "x"}\n', "line 2: no prompt text"),
        ('{"text": "   "}\n', "line 1: field 'text': Value error, prompt text is empty"),
        ("", "holds no prompts"),
    ],
)
def test_malformed_prompts_file_names_the_line(cli, tmp_path, content, fragment):
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    code, _, err = cli("generate", "--model", "mock/m", "--prompts", path)
    _assert_one_line_error(code, err, fragment)


def test_csv_prompts_and_csv_errors(cli, tmp_path):
    good = tmp_path / "p.csv"
    good.write_text('text,category\n"hello, world",general\nsecond,math\n')
    assert cli("generate", "--model", "mock/m", "--prompts", good, "--no-progress")[0] == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("text\nok\nx,y\n")
    code, _, err = cli("generate", "--model", "mock/m", "--prompts", bad)
    _assert_one_line_error(code, err, "line 3: more fields than the header")


def test_missing_prompts_file(cli, tmp_path):
    code, _, err = cli("generate", "--model", "mock/m", "--prompts", tmp_path / "nope.jsonl")
    _assert_one_line_error(code, err, "does not exist")


def test_missing_gguf(cli, write_prompts, tmp_path):
    code, _, err = cli("generate", "--model", f"llamacpp/{tmp_path}/nope.gguf?mode=chat", "--prompts", write_prompts(["x"]))
    _assert_one_line_error(code, err, "nope.gguf does not exist")


def test_file_that_is_not_gguf(cli, write_prompts, tmp_path):
    fake = tmp_path / "fake.gguf"
    fake.write_bytes(b"<html>not a model</html>")
    code, _, err = cli("generate", "--model", f"llamacpp/{fake}", "--prompts", write_prompts(["x"]))
    _assert_one_line_error(code, err, "is not a GGUF file", "re-download")


def test_truncated_gguf(cli, write_prompts, tmp_path):
    pytest.importorskip("gguf")
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + b"\xff" * 64)
    code, _, err = cli("generate", "--model", f"llamacpp/{broken}", "--prompts", write_prompts(["x"]))
    _assert_one_line_error(code, err, "corrupt GGUF")


def test_bad_config(cli, write_prompts, tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("teacher: [unclosed\n")
    code, _, err = cli("generate", "--config", config, "--model", "teacher", "--prompts", write_prompts(["x"]))
    _assert_one_line_error(code, err, "is not valid YAML")
    config.write_text("teacher: mock/t\n")
    code, _, err = cli("generate", "--config", config, "--model", "judge", "--prompts", write_prompts(["x"]))
    _assert_one_line_error(code, err, "no model for role 'judge'")


# -- usage errors, Ctrl-C, terminal width ---------------------------------------------------


def test_a_mistyped_option_prints_the_usage_line_and_exits_2_without_click_installed():
    """typer carries its own click: the CLI must neither import the `click` package nor miss typer's usage errors."""
    code = "import sys; sys.modules['click'] = None\nfrom distillscope.cli import main\nmain(['generate', '--bogus'])"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 2, run.stderr
    assert "Usage: " in run.stderr and "No such option: --bogus" in run.stderr and "Traceback" not in run.stderr


def test_missing_argument_and_unknown_command_exit_2(cli):
    for args in (("generate",), ("nosuch",), ("store", "prune")):
        code, _, err = cli(*args)
        assert code == 2 and "Usage: " in err and "Traceback" not in err, err


@pytest.mark.parametrize("how", ["raw", "typer"])
def test_ctrl_c_says_how_to_resume_and_exits_130(cli, write_prompts, monkeypatch, how):
    import typer

    from distillscope.app import generate as generation

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt if how == "raw" else typer.Exit(130)  # typer turns Ctrl-C into Exit(130)

    monkeypatch.setattr(generation, "run_generation", interrupted)
    code, _, err = cli("generate", "--model", "mock/m", "--prompts", write_prompts(["x"]))
    assert code == 130 and err.strip() == "interrupted: every answer received so far is stored; re-run the same command to resume."


def test_models_at_80_columns_keeps_names_whole_and_install_hints_intact(cli, monkeypatch):
    import distillscope.extras as extras

    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(extras, "extra_status", lambda: {"api": False, "local": False, "hf": True, "export": True, "build": True})
    code, out, _ = cli("models")
    assert code == 0
    assert "pip install 'distillscope[api]'" in out and "pip install 'distillscope[local]'" in out
    for name in ("qwen2.5-coder-0.5b-instruct", "gemma-3-270m", "smollm2-135m-instruct", "llamacpp/path/to/model.gguf?mode=completion"):
        assert name in out
    assert "…" not in out and max(len(line) for line in out.splitlines()) <= 80


def test_audit_summary_fits_80_columns_with_four_students(monkeypatch, capsys):
    from distillscope.cli.show_audit import show_audit
    from distillscope.results import read_results

    monkeypatch.setenv("COLUMNS", "80")
    results = read_results(Path(__file__).parent / "data" / "fixture_results.json")
    first = next(iter(results.students.values()))
    for name in ("openai/a-rather-long-student-name", "builtin/smollm2-135m-instruct"):
        results.students[name] = first
    show_audit(results)
    out = capsys.readouterr().out
    assert "…" not in out and max(len(line) for line in out.splitlines()) <= 80
    assert "MMD p-value" in out and out.count("1.000") >= 4


# -- one config for generate and audit; cache control ---------------------------------------


def test_unknown_config_keys_are_refused_by_name(cli, write_prompts, tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("teacher: mock/t\nstudents: [mock/s]\ntemprature: 0.7\n")
    code, _, err = cli("generate", "--config", config, "--model", "teacher", "--prompts", write_prompts(["x"]))
    _assert_one_line_error(code, err, "unknown key 'temprature'")
    code, _, err = cli("audit", "--config", config)
    _assert_one_line_error(code, err, "unknown key 'temprature'")
    config.write_text("teacher: mock/t\nsampling: {temperature: 0.7, top_k: 5}\n")
    code, _, err = cli("generate", "--config", config, "--model", "teacher", "--prompts", write_prompts(["x"]))
    _assert_one_line_error(code, err, "unknown key 'sampling.top_k'")


def test_sampling_in_the_config_is_honoured_and_flags_win(cli, write_prompts, tmp_path, isolated_store):
    config = tmp_path / "c.yaml"
    config.write_text("teacher: mock/t\nsampling: {temperature: 0.7, max_tokens: 7, seed: 3, n: 2}\n")
    out = tmp_path / "a.jsonl"
    code, _, err = cli(
        "generate", "--config", config, "--model", "teacher", "--prompts", write_prompts(["x"]), "--out", out, "--no-progress"
    )
    assert code == 0, err
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 2 and rows[0]["sampling"] == {"temperature": 0.7, "max_tokens": 7, "seed": 3, "top_p": 1.0}
    code, _, err = cli(
        "generate",
        "--config",
        config,
        "--model",
        "teacher",
        "--prompts",
        write_prompts(["x"]),
        "--out",
        out,
        "--temperature",
        "0",
        "--samples",
        "1",
        "--no-progress",
    )
    assert code == 0, err
    assert [json.loads(line)["sampling"] for line in out.read_text(encoding="utf-8").splitlines()] == [
        {"temperature": 0.0, "max_tokens": 7}
    ]


def test_audit_config_sampling_reaches_the_requests():
    from distillscope.audit.config import AuditConfig

    config = AuditConfig(teacher="mock/t", students=["mock/s"], sampling={"temperature": 0.5, "max_tokens": 40}, seed=9)
    assert config.sampling_params().model_dump() == {
        "temperature": 0.5,
        "top_p": 1.0,
        "max_tokens": 40,
        "seed": 9,
        "n": 1,
        "top_logprobs": None,
    }
    assert config.max_tokens == 40 and AuditConfig(max_tokens=12).sampling_params().max_tokens == 12
    with pytest.raises(ValueError, match="disagree"):
        AuditConfig(max_tokens=12, sampling={"max_tokens": 40})


def test_refresh_asks_again_and_overwrites(cli, write_prompts, tmp_path, isolated_store):
    prompts = write_prompts(["a", "b"])
    assert cli("generate", "--model", "mock/m", "--prompts", prompts, "--no-progress")[0] == 0
    with ResponseStore(isolated_store) as store:
        first = {r["key"]: r["created_at"] for r in store.iter_responses()}
    code, _, err = cli("generate", "--model", "mock/m", "--prompts", prompts, "--refresh", "--no-progress")
    assert code == 0, err
    with ResponseStore(isolated_store) as store:
        again = {r["key"]: r["created_at"] for r in store.iter_responses()}
    assert again.keys() == first.keys() and all(again[k] > first[k] for k in first)
    out = tmp_path / "a.jsonl"
    assert cli("generate", "--model", "mock/m", "--prompts", prompts, "--out", out, "--no-progress")[0] == 0
    assert all(json.loads(line)["cached"] for line in out.read_text(encoding="utf-8").splitlines())


def test_prune_by_model_and_date_and_sizes_in_stats(cli, write_prompts, isolated_store):
    prompts = write_prompts(["a", "b", "c"])
    for model in ("mock/keep", "mock/drop"):
        assert cli("generate", "--model", model, "--prompts", prompts, "--no-progress")[0] == 0
    code, out, _ = cli("store", "stats")
    assert code == 0 and "size" in out and "kB" in out
    code, _, err = cli("store", "prune", "--model", "mock/drop", "--before", "2000-01-01")
    assert code == 0 and "deleted 0 answers" in err
    code, _, err = cli("store", "prune", "--model", "mock/drop?latency=0", "--before", "2999-01-01")  # operational options ignored
    assert code == 0 and "deleted 3 answers" in err
    code, _, err = cli("store", "prune", "--model", "mock/typo")
    _assert_one_line_error(code, err, "holds nothing for model 'mock/typo'", "mock/keep")
    code, _, err = cli("store", "prune", "--model", "mock/keep", "--before", "yesterday")
    _assert_one_line_error(code, err, "not a date")
    with ResponseStore(isolated_store) as store:
        assert [row["model"] for row in store.stats().per_model] == ["mock/keep"]
