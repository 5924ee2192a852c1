"""Property-based fuzzing of the CLI: any option values and file contents, never a traceback.

Each command is run in-process through `distillscope.cli.main` with
hypothesis-generated option values (numbers out of range, NaN, any text, spec
strings, dates) and file contents (prompt files, configs, results files in any
encoding). Whatever the input, the command either works (exit 0, or 1 where it
reports failed requests), or stops with exit 2 and one line on stderr (a
UserError's `error: ...`, or typer's usage message for a malformed option);
never a traceback, and never a file it was given overwritten.

The commands that do real work per run (rse, audit, similarity, indist, ice,
attribute, distill, zoo) are fuzzed with option values that must be refused
before any model is asked, so each example costs milliseconds.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from fuzz_support import any_record_file, encode, fuzz_settings, json_values, nasty_text
from hypothesis import example, given
from hypothesis import strategies as st

from distillscope.cli import main

FIXTURE = Path(__file__).parent / "data" / "fixture_results.json"
PROMPTS = "".join(json.dumps({"text": t}) + "\n" for t in ("hello there", "what is 2+2", "name a colour", "who are you")).encode()


def run(capsys, *args) -> tuple[int, str, str]:
    """The CLI in-process: (exit code, stdout, stderr); an exception that escapes main fails the test with its traceback."""
    capsys.readouterr()
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exit_info:
        code = exit_info.code if isinstance(exit_info.code, int) else (0 if exit_info.code is None else 1)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_clean(code: int, err: str, *, may_fail_requests: bool = False) -> None:
    """Worked, or refused in one line (exit 2); never a traceback."""
    assert "Traceback" not in err, err
    allowed = (0, 2, 1) if may_fail_requests else (0, 2)
    assert code in allowed, f"exit {code}: {err}"
    if code == 2 and "Usage:" not in err:  # typer's usage message for a malformed option has its own few lines
        notes = ("note: ", "warning: ")  # said before the work starts (`generate --n`: what --n means)
        lines = [line for line in err.strip().splitlines() if line.strip() and not line.startswith(notes)]
        assert len(lines) == 1 and lines[0].startswith("error: "), err


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


ints = st.one_of(st.integers(-3, 5), st.integers(), st.sampled_from([2**63, -(2**63), 2**64 + 1, 10**30]))
floats = st.one_of(st.floats(), st.sampled_from(["nan", "inf", "-inf", "1e400", "0x10", "", "1,5"]))
dates = st.one_of(nasty_text, st.sampled_from(["2024-01-01", "2024-13-45", "0000-00-00", "9999-12-31T25:00", "now", "1e9", ""]))
spec_texts = st.one_of(
    st.sampled_from(["mock/a", "mock/b?latency=0", "mock/a?latency=-1", "mock/", "/a", "nosuch/x", "openai/m?base_ulr=x", "mock/a?=1"]),
    nasty_text,
)


def option(name: str, values) -> st.SearchStrategy:
    """`[name, value]` or nothing."""
    return st.one_of(st.just([]), values.map(lambda v: [name, str(v)]))


# -- generate ---------------------------------------------------------------------------------------------------------------


@fuzz_settings(25)
@given(
    file=any_record_file,
    spec=spec_texts,
    extra=st.tuples(
        option("--samples", ints),
        option("--n", ints),
        option("--limit", ints),
        option("--temperature", floats),
        option("--top-p", floats),
        option("--max-tokens", ints),
        option("--seed", ints),
    ),
)
@example(file=(".jsonl", PROMPTS), spec="mock/a", extra=(["--seed", str(2**64 + 1)], [], [], [], [], [], []))
@example(file=(".jsonl", b""), spec="mock/a", extra=([], ["--n", "1"], [], [], [], [], []))  # a note, then the error
def test_generate_with_any_options_and_prompt_file(capsys, tmp_path, file, spec, extra):
    prompts = tmp_path / f"prompts{file[0]}"
    prompts.write_bytes(file[1])
    before = digest(prompts)
    code, _, err = run(capsys, "generate", "--model", spec, "--prompts", prompts, "--no-progress", *[a for pair in extra for a in pair])
    assert_clean(code, err, may_fail_requests=True)
    assert digest(prompts) == before


@fuzz_settings(12)
@given(
    text=st.one_of(
        nasty_text, json_values.map(json.dumps), st.sampled_from(["teacher: mock/a\nsampling: {temperature: 3}\n", "students: 5\n"])
    )
)
def test_generate_with_any_config_file(capsys, tmp_path, text):
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_bytes(PROMPTS)
    config = tmp_path / "config.yaml"
    config.write_bytes(encode(text, "utf-8"))
    code, _, err = run(capsys, "generate", "--model", "teacher", "--prompts", prompts, "--config", config, "--no-progress")
    assert_clean(code, err, may_fail_requests=True)


# -- probes, claims, report ---------------------------------------------------------------------------------------------------


@fuzz_settings(12)
@given(file=any_record_file)
def test_probes_validate_and_stats_with_any_file(capsys, tmp_path, file):
    path = tmp_path / f"suite{file[0]}"
    path.write_bytes(file[1])
    for args in (("probes", "validate", path), ("probes", "stats", "--suite", path)):
        code, _, err = run(capsys, *args)
        assert_clean(code, err)


@fuzz_settings(20)
@given(file=any_record_file, n=ints, split=st.one_of(st.sampled_from(["test", "train", "all"]), nasty_text), seed=ints)
@example(file=(".jsonl", PROMPTS), n=2, split="all", seed=2**64 + 1)
@example(file=(".jsonl", PROMPTS), n=2, split="all", seed=-1)
def test_probes_sample_with_any_options(capsys, tmp_path, file, n, split, seed):
    suite = tmp_path / f"suite{file[0]}"
    suite.write_bytes(file[1])
    before = digest(suite)
    code, _, err = run(
        capsys, "probes", "sample", "--n", n, "--split", split, "--seed", seed, "--suite", suite, "-o", tmp_path / "out.jsonl"
    )
    assert_clean(code, err)
    assert digest(suite) == before


@fuzz_settings(20)
@given(
    file=any_record_file,
    column=st.one_of(st.sampled_from(["text", "response", "prompt"]), nasty_text),
    prompt_column=st.one_of(st.none(), st.sampled_from(["prompt", "text"]), nasty_text),
    voices=st.one_of(st.sampled_from(["own,persona", "all", "reasoning", ""]), nasty_text),
)
def test_claims_with_any_file_and_options(capsys, tmp_path, file, column, prompt_column, voices):
    path = tmp_path / f"answers{file[0]}"
    path.write_bytes(file[1])
    before = digest(path)
    args = ["claims", path, "--column", column, "--voices", voices, "-o", tmp_path / "claims.jsonl"]
    if prompt_column is not None:
        args += ["--prompt-column", prompt_column]
    code, _, err = run(capsys, *args)
    assert_clean(code, err)
    assert digest(path) == before


@fuzz_settings(15)
@given(content=st.one_of(st.binary(max_size=100), json_values.map(lambda v: json.dumps(v).encode())))
@example(content=FIXTURE.read_bytes()[:5000])
def test_report_with_any_results_file(capsys, tmp_path, content):
    results = tmp_path / "results.json"
    results.write_bytes(content)
    code, _, err = run(capsys, "report", results, "-o", tmp_path / "report.html")
    assert_clean(code, err)
    assert results.read_bytes() == content


# -- the store ----------------------------------------------------------------------------------------------------------------


@pytest.fixture
def answered_store(capsys, tmp_path) -> Path:
    store = tmp_path / "answered.sqlite"
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_bytes(PROMPTS)
    code, _, err = run(capsys, "generate", "--model", "mock/a", "--prompts", prompts, "--store", store, "--no-progress")
    assert code == 0, err
    return store


@fuzz_settings(8)
@given(
    model=st.one_of(st.none(), spec_texts),
    before=st.one_of(st.none(), dates),
    out_suffix=st.sampled_from([".jsonl", ".parquet", ".csv", ""]),
)
@example(model="mock/a", before="2024-13-45", out_suffix=".jsonl")
def test_store_commands_with_any_options(capsys, tmp_path, answered_store, model, before, out_suffix):
    code, _, err = run(capsys, "store", "stats", "--store", answered_store)
    assert_clean(code, err)
    export = ["store", "export", "--store", answered_store, "-o", tmp_path / f"export{out_suffix}"]
    code, _, err = run(capsys, *export, *(["--model", model] if model is not None else []))
    assert_clean(code, err)
    if model is not None:
        prune = ["store", "prune", "--store", answered_store, "--model", model, *(["--before", before] if before is not None else [])]
        code, _, err = run(capsys, *prune)
        assert_clean(code, err)


@fuzz_settings(10)
@given(content=st.one_of(st.binary(max_size=200), st.just(b"SQLite format 3\x00" + bytes(200))))
@example(content=b"")  # empty and one-byte files: SQLite would take them for a new database and write a schema
@example(content=b"\x00")
@example(content=b"\x01")
def test_store_commands_with_any_store_file(capsys, tmp_path, content):
    store = tmp_path / "junk.sqlite"
    store.write_bytes(content)
    for args in (("store", "stats", "--store", store), ("store", "export", "--store", store, "-o", tmp_path / "e.jsonl")):
        code, _, err = run(capsys, *args)
        assert_clean(code, err)
    assert store.read_bytes() == content


# -- the commands that do real work: values refused before any model is asked ----------------------------------------------

bad_values = {
    "--n": st.integers(max_value=0),
    "--split": nasty_text.filter(lambda s: s.strip() not in ("test", "train", "all")),
    "--temperature": st.one_of(st.floats(max_value=-0.001), st.floats(min_value=2.001), st.just("nan")),
    "--max-tokens": st.integers(max_value=0),
    "--samples": st.integers(max_value=0),
    "--suite": st.just("{missing}"),
}
METRIC_COMMANDS = {
    "rse": ["--reference", "mock/a", "--student", "mock/b", "--judge", "mock/j?judge=rse"],
    "similarity": ["--reference", "mock/a", "--student", "mock/b"],
    "audit": ["--teacher", "mock/a", "--student", "mock/b", "--judge", "mock/j"],
    "indist": ["--reference", "mock/a", "--student", "mock/b"],
}


@fuzz_settings(20)
@given(
    command=st.sampled_from(sorted(METRIC_COMMANDS)),
    bad=st.sampled_from(sorted(bad_values)).flatmap(lambda name: bad_values[name].map(lambda v: [name, str(v)])),
)
def test_metric_commands_refuse_bad_values_in_one_line(capsys, tmp_path, command, bad):
    bad = [str(tmp_path / "missing.jsonl") if v == "{missing}" else v for v in bad]
    code, _, err = run(capsys, command, *METRIC_COMMANDS[command], "--no-progress", "-o", tmp_path / "out.json", *bad)
    assert code == 2, err
    assert_clean(code, err)


@fuzz_settings(12)
@given(command=st.sampled_from(sorted(METRIC_COMMANDS)), spec=nasty_text.filter(lambda s: "/" not in s))
@example(command="rse", spec="line one\nline two")  # the error quoted the spec: two lines on stderr
@example(command="audit", spec="\udcff\x00")
def test_metric_commands_refuse_any_spec_without_a_provider(capsys, tmp_path, command, spec):
    args = [spec if a == "mock/b" else a for a in METRIC_COMMANDS[command]]
    code, _, err = run(capsys, command, *args, "--n", "2", "--no-progress", "-o", tmp_path / "out.json")
    assert code == 2, err
    assert_clean(code, err)


@fuzz_settings(15)
@given(text=st.one_of(nasty_text, json_values.map(json.dumps)))
def test_audit_refuses_any_config_that_is_not_one(capsys, tmp_path, text):
    config = tmp_path / "audit.yaml"
    config.write_bytes(encode(text, "utf-8"))
    code, _, err = run(capsys, "audit", "--config", config, "--no-progress", "-o", tmp_path / "out.json")
    assert code == 2, err  # no teacher or no student in any such file
    assert_clean(code, err)


def _not_one_of(*names: str) -> st.SearchStrategy:
    return nasty_text.filter(lambda s: s.strip().lower() not in names)


# the other commands, each with values of its own options that it must refuse before any work
OTHER_COMMANDS = {
    "ice": (
        ["--target", "mock/b", "--helper", "mock/h", "-o", "{out}"],
        {
            "--budget": st.integers(max_value=0),
            "--questions-per-iteration": st.integers(max_value=0),
            "--strict-judge": _not_one_of("extractor", "judge", "both"),
            "--reward": _not_one_of("loose", "strict"),
            "--max-tokens": st.integers(max_value=0),
            "--templates": st.just("{missing}"),
        },
    ),
    "attribute": (
        ["--student", "mock/b", "--candidate", "mock/a"],
        {"--n": st.integers(max_value=3), "--prompts": st.just("{missing}"), "--calibration": st.just("{missing}")},
    ),
    "distill": (
        ["--teacher", "mock/a", "--student", "mock/b", "-o", "{out_dir}"],
        {
            "--budget": st.integers(max_value=0),
            "--acquisition": _not_one_of("random", "stratified", "disagreement"),
            "--rounds": st.integers(max_value=0),
            "--max-tokens": st.integers(max_value=0),
        },
    ),
    "zoo build": (["--dir", "{out_dir}"], {"--max-tokens": st.integers(max_value=7), "--seeds": st.integers(max_value=0)}),
}


@fuzz_settings(30)
@given(data=st.data(), command=st.sampled_from(sorted(OTHER_COMMANDS)))
def test_other_commands_refuse_bad_values_in_one_line(capsys, tmp_path, data, command):
    base, bad_values_of = OTHER_COMMANDS[command]
    name = data.draw(st.sampled_from(sorted(bad_values_of)))
    value = str(data.draw(bad_values_of[name]))
    places = {"{out}": str(tmp_path / "out.json"), "{out_dir}": str(tmp_path / "out_dir"), "{missing}": str(tmp_path / "missing.jsonl")}
    args = [places.get(a, a) for a in [*command.split(), *base, name, value]]
    code, _, err = run(capsys, *args)
    assert code == 2, err
    assert_clean(code, err)
