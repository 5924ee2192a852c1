"""Hostile inputs end in one line naming cause and fix, exit code 2, and a store left as it was."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "data" / "fixture_results.json"
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def one_line_error(code, err, *fragments):
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Fix: " in lines[0], err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def digest(path: Path) -> str:
    """The store's data: its file and WAL, not the `-shm` wal-index, SQLite's shared memory that every reader (a
    read-only one too) updates with its read marks."""
    files = [p for p in sorted(path.parent.glob(path.name + "*")) if not p.name.endswith("-shm")]
    return "".join(hashlib.sha256(p.read_bytes()).hexdigest() for p in files)


@pytest.fixture
def filled_store(cli, write_prompts, isolated_store) -> Path:
    code, _, err = cli(
        "generate", "--model", "mock/m", "--prompts", write_prompts([f"prompt {i} " + "x" * 300 for i in range(60)]), "--no-progress"
    )
    assert code == 0, err
    with sqlite3.connect(isolated_store) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return isolated_store


# -- store paths ---------------------------------------------------------------------------


@pytest.mark.parametrize("command", [("generate", "--model", "mock/m", "--prompts", "{prompts}"), ("store", "stats")])
def test_store_whose_parent_is_a_file_or_missing(cli, write_prompts, tmp_path, command):
    a_file = tmp_path / "plain.txt"
    a_file.write_text("x")
    prompts = write_prompts(["x"])
    for store, fragment in ((a_file / "s.sqlite", "is a file"), (tmp_path / "nope" / "s.sqlite", "does not exist")):
        args = [str(prompts) if part == "{prompts}" else part for part in command]
        code, _, err = cli(*args, "--store", store)
        one_line_error(code, err, fragment)
    assert not (tmp_path / "nope").exists()


@pytest.mark.parametrize("command", [("generate", "--model", "mock/m", "--no-progress"), ("store", "stats"), ("store", "export")])
def test_store_with_corrupt_pages(cli, write_prompts, tmp_path, filled_store, command):
    size = filled_store.stat().st_size
    with filled_store.open("r+b") as handle:  # the header and schema (page 1) stay valid; every other page does not
        handle.seek(4096)
        handle.write(os.urandom(size - 4096))
    before = digest(filled_store)
    args = list(command)
    if command[0] == "generate":
        args += ["--prompts", write_prompts([f"prompt {i} " + "x" * 300 for i in range(60)])]
    if command[-1] == "export":
        args += ["--out", tmp_path / "x.jsonl"]
    code, _, err = cli(*args)
    one_line_error(code, err, "malformed")
    assert digest(filled_store) == before


def test_a_file_that_is_not_sqlite(cli, write_prompts, isolated_store):
    isolated_store.write_bytes(b"this is not a database, just text " * 200)
    before = digest(isolated_store)
    for args in (("store", "stats"), ("generate", "--model", "mock/m", "--prompts", write_prompts(["x"]), "--no-progress")):
        code, _, err = cli(*args)
        one_line_error(code, err, "not a database")
    assert digest(isolated_store) == before


def test_read_only_store_can_be_inspected_and_is_not_changed(cli, tmp_path, filled_store):
    from distillscope.runner.store.readonly import ReadOnlyResponseStore

    before = digest(filled_store)
    with ReadOnlyResponseStore(filled_store) as store:
        assert store.stats().responses == 60 and len(list(store.iter_responses())) == 60
        with pytest.raises(Exception):
            store.prune("mock/m")
    assert digest(filled_store) == before


def test_store_we_may_not_write_is_opened_read_only(cli, tmp_path, filled_store, monkeypatch):
    import distillscope.runner.store.readonly as store_readonly
    import distillscope.runner.store.readonly_db as readonly_db

    monkeypatch.setattr(readonly_db, "may_write", lambda store: False)  # as on a read-only disk, even for root
    opened = []
    monkeypatch.setattr(store_readonly.ReadOnlyResponseStore, "close", lambda self: (opened.append(self), self._db.close()))
    before = digest(filled_store)
    code, out, err = cli("store", "stats")
    assert code == 0 and "60 answers" in out, err
    code, _, err = cli("store", "export", "--out", tmp_path / "x.jsonl")
    assert code == 0 and "exported 60 answers" in err
    assert len(opened) == 2 and digest(filled_store) == before


@pytest.mark.skipif(AS_ROOT, reason="root writes through file permissions")
def test_store_on_a_read_only_disk_can_be_inspected(cli, tmp_path, filled_store):
    directory = tmp_path / "ro"
    directory.mkdir()
    store = directory / "store.sqlite"
    store.write_bytes(filled_store.read_bytes())
    store.chmod(0o444)
    directory.chmod(0o555)
    try:
        code, out, err = cli("store", "stats", "--store", store)
        assert code == 0 and "60 answers" in out, err
        code, _, err = cli("store", "export", "--store", store, "--out", tmp_path / "x.jsonl")
        assert code == 0 and "exported 60 answers" in err
    finally:
        directory.chmod(0o755)


def test_store_stats_does_not_create_a_missing_store(cli, tmp_path):
    code, _, err = cli("store", "stats", "--store", tmp_path / "typo.sqlite")
    one_line_error(code, err, "no response store")
    assert not (tmp_path / "typo.sqlite").exists()


# -- output paths --------------------------------------------------------------------------


def test_out_into_a_missing_or_file_directory_fails_before_anything_is_asked(cli, write_prompts, tmp_path, isolated_store):
    a_file = tmp_path / "plain.txt"
    a_file.write_text("x")
    for out, fragment in (
        (tmp_path / "nope" / "a.jsonl", "does not exist"),
        (a_file / "a.jsonl", "is a file"),
        (tmp_path, "is a directory"),
    ):
        code, _, err = cli("generate", "--model", "mock/m", "--prompts", write_prompts(["x"]), "--out", out, "--no-progress")
        one_line_error(code, err, fragment)
    assert not isolated_store.exists()  # nothing was generated


def test_store_export_into_a_missing_directory(cli, filled_store, tmp_path):
    code, _, err = cli("store", "export", "--out", tmp_path / "nope" / "x.jsonl")
    one_line_error(code, err, "does not exist")


@pytest.mark.skipif(AS_ROOT, reason="root writes through file permissions")
def test_out_into_an_unwritable_directory(cli, write_prompts, tmp_path, filled_store):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    code, _, err = cli("store", "export", "--out", locked / "x.jsonl")
    one_line_error(code, err, "permission denied")


# -- report inputs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"[1, 2, 3]", "holds a JSON list"),
        (b'{"kind": "audit"}', "results schema 'None'"),
        (b'{"schema": "distillscope.results/1", "kind": "audit"}', "results schema 'distillscope.results/1'"),
        (b'{"schema": "distillscope.results/2", "kind": "audit"}', "not a complete results file ('suite'"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "not a text file"),
        (b'{"kind": "audit", "models": ', "is not JSON"),
    ],
)
def test_report_on_files_that_are_not_an_audit(cli, tmp_path, content, fragment):
    path = tmp_path / "results.json"
    path.write_bytes(content)
    code, _, err = cli("report", path)
    one_line_error(code, err, fragment)
    assert not (tmp_path / "report.html").exists()


def test_report_on_a_directory_and_into_a_missing_directory(cli, tmp_path):
    code, _, err = cli("report", tmp_path)
    one_line_error(code, err, "is a directory")
    code, _, err = cli("report", FIXTURE, "--out", tmp_path / "nope" / "r.html")
    one_line_error(code, err, "does not exist")


def test_report_from_the_fixture_results(cli, tmp_path):
    code, _, err = cli("report", FIXTURE, "--out", tmp_path / "r.html")
    assert code == 0, err
    assert "Verdict per student" in (tmp_path / "r.html").read_text(encoding="utf-8")


# -- spec options and prompt files ---------------------------------------------------------


@pytest.mark.parametrize("option", ["rpm=-5", "tpm=0", "timeout=-1", "timeout=0", "concurrency=0", "max_retries=-1", "rpm=nan"])
def test_impossible_rate_limits_and_timeouts_fail_at_parse_time(cli, write_prompts, isolated_store, option):
    code, _, err = cli("generate", "--model", f"openai/m?base_url=http://127.0.0.1:9/v1&{option}", "--prompts", write_prompts(["x"]))
    one_line_error(code, err, option.split("=")[0], "out of range")
    assert not isolated_store.exists()


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_utf8_bom_prompt_files_are_read(cli, tmp_path, suffix):
    path = tmp_path / f"bom{suffix}"
    body = "text,category\nhello,general\nsecond,math\n" if suffix == ".csv" else '{"text": "hello"}\n{"text": "second"}\n'
    path.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))
    code, _, err = cli("generate", "--model", "mock/m", "--prompts", path, "--out", tmp_path / "a.jsonl", "--no-progress")
    assert code == 0, err
    rows = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["prompt"] for r in rows] == ["hello", "second"]


def test_duplicate_prompt_ids_are_refused_naming_both_lines(cli, tmp_path, isolated_store):
    path = tmp_path / "dup.jsonl"
    path.write_text('{"id": "a", "text": "one"}\n{"id": "b", "text": "two"}\n{"id": "a", "text": "three"}\n', encoding="utf-8")
    code, _, err = cli("generate", "--model", "mock/m", "--prompts", path, "--out", tmp_path / "a.jsonl", "--no-progress")
    one_line_error(code, err, "line 3 has the same id as line 1", "'a'")
    path.write_text('{"text": "same"}\n{"text": "other"}\n{"text": "same"}\n', encoding="utf-8")
    code, _, err = cli("generate", "--model", "mock/m", "--prompts", path, "--no-progress")
    one_line_error(code, err, "line 3 repeats the prompt of line 1")
    assert not isolated_store.exists() and not (tmp_path / "a.jsonl").exists()


def test_same_text_under_distinct_ids_keeps_one_row_per_id(cli, tmp_path):
    path = tmp_path / "twins.jsonl"
    path.write_text(
        '{"id": "first", "text": "same question"}\n{"id": "second", "text": "same question"}\n{"id": "third", "text": "another"}\n',
        encoding="utf-8",
    )
    out = tmp_path / "a.jsonl"
    code, _, err = cli(
        "generate", "--model", "mock/m", "--prompts", path, "--samples", "2", "--temperature", "0.5", "--out", out, "--no-progress"
    )
    assert code == 0, err
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["prompt_id"], r["sample_index"]) for r in rows] == [
        ("first", 0),
        ("first", 1),
        ("second", 0),
        ("second", 1),
        ("third", 0),
        ("third", 1),
    ]
    assert {r["prompt_id"]: r["prompt"] for r in rows} == {"first": "same question", "second": "same question", "third": "another"}


def test_any_command_writing_into_a_missing_directory_fails_in_one_line(cli, tmp_path):
    """Commands without their own path check still end in one line (the CLI turns a file-system error into one)."""
    responses = Path(__file__).parent / "data" / "identity_claims.jsonl"
    code, _, err = cli("claims", responses, "-o", tmp_path / "nope" / "claims.jsonl")
    one_line_error(code, err, str(tmp_path / "nope" / "claims.jsonl"))
