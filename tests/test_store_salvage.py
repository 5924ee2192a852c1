"""A damaged store's readable rows are salvaged; a read-only store serves cached answers (issue 29, defect 9)."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest

from distillscope.models.registry import load_model
from distillscope.runner.answers import requests_for
from distillscope.runner.runner import Runner
from distillscope.runner.store import ResponseStore
from distillscope.types import Prompt, SamplingParams

PROMPTS = [Prompt(text=f"question {i} " + "long answer " * (i % 7) * 40) for i in range(300)]  # some rows overflow a page


@pytest.fixture
def store_of_300(tmp_path):
    path = tmp_path / "store.sqlite"
    with Runner(ResponseStore(path), show_progress=False) as runner:
        runner.run(load_model("mock/a"), requests_for(PROMPTS, SamplingParams()))
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute(
            "INSERT INTO failures (key, model, prompt_id, sample_index, error_type, message, attempts, created_at) "
            "VALUES ('k', 'mock/a', 'p', 0, 'TransientError', 'timed out', 6, '2026-01-01T00:00:00.000+00:00')"
        )
        db.commit()
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cached_run(store_path) -> tuple[int, int]:
    """(answers served from the store, answers generated) for the 300 prompts."""
    with Runner(ResponseStore(store_path), show_progress=False) as runner:
        counts = runner.run(load_model("mock/a"), requests_for(PROMPTS, SamplingParams())).counts
    return counts.cached, counts.generated


def test_a_store_with_a_destroyed_header_is_salvaged_page_by_page(store_of_300, tmp_path, cli):
    data = bytearray(store_of_300.read_bytes())
    data[:100] = b"\xff" * 100  # "file is not a database": SQLite cannot open it at all
    store_of_300.write_bytes(bytes(data))
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(store_of_300).execute("SELECT COUNT(*) FROM responses").fetchone()
    before = digest(store_of_300)
    new = tmp_path / "salvaged.sqlite"
    code, _, err = cli("store", "salvage", store_of_300, "--out", new)
    assert code == 0, err
    assert "salvaged 300 answers and 1 failures" in err and "page by page (SQLite could not open it)" in err
    assert digest(store_of_300) == before  # the damaged file is only read
    assert cached_run(new) == (300, 0)  # every answer served from the salvaged store, none paid again


def test_damaged_pages_cost_only_their_own_rows(store_of_300, tmp_path, cli):
    size = store_of_300.stat().st_size
    page = 4096
    data = bytearray(store_of_300.read_bytes())
    damaged_pages = [3, size // page // 2]
    for number in damaged_pages:
        data[(number - 1) * page : number * page] = b"\x00\x17" * (page // 2)
    store_of_300.write_bytes(bytes(data))
    out = tmp_path / "salvaged.jsonl"
    code, _, err = cli("store", "salvage", store_of_300, "-o", out)
    assert code == 0, err
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    answers = [r["row"] for r in rows if r["table"] == "responses"]
    assert 300 - 2 * 40 <= len(answers) < 300  # two pages lost (a page holds at most a few dozen rows), the rest kept
    assert len({a["key"] for a in answers}) == len(answers)
    assert all(a["text"].startswith("mock") or a["text"] for a in answers)


def test_salvage_refuses_to_write_over_an_existing_store_or_itself(store_of_300, tmp_path, cli):
    code, _, err = cli("store", "salvage", store_of_300, "--out", store_of_300)
    assert code == 2 and "exists" in err
    code, _, err = cli("store", "salvage", store_of_300, "--out", store_of_300.with_name(store_of_300.name + "-wal.jsonl"))
    assert code == 0, err  # a new name beside it is fine
    code, _, err = cli("store", "salvage", tmp_path / "missing.sqlite", "--out", tmp_path / "new.sqlite")
    assert code == 2 and "no store file" in err


@pytest.fixture
def read_only(monkeypatch):
    """As on a read-only disk or a file without write permission (tests run as root, for whom chmod changes nothing)."""
    from distillscope.runner.store import readonly_db as store_readonly

    monkeypatch.setattr(store_readonly, "may_write", lambda store: False)


def test_a_read_only_store_serves_generate_from_its_cache(tmp_path, cli, write_prompts, monkeypatch):
    prompts = write_prompts(["one", "two", "three"])
    store = tmp_path / "ro.sqlite"
    code, _, err = cli("generate", "-m", "mock/m", "-p", prompts, "--store", store, "--no-progress")
    assert code == 0, err
    before = digest(store)
    from distillscope.runner.store import readonly_db as store_readonly

    monkeypatch.setattr(store_readonly, "may_write", lambda path: False)
    out = tmp_path / "answers.jsonl"
    code, _, err = cli("generate", "-m", "mock/m", "-p", prompts, "--store", store, "-o", out, "--no-progress")
    assert code == 0, err
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3
    more = write_prompts(["one", "four"], name="more.jsonl")
    code, _, err = cli("generate", "-m", "mock/m", "-p", more, "--store", store, "--no-progress")
    assert code == 2 and "read-only" in err and "1 request(s) have no stored answer" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert digest(store) == before


def test_a_read_only_store_serves_a_workspace_and_keeps_vectors_in_memory(tmp_path, read_only):
    from distillscope.workspace import Workspace

    store = tmp_path / "ro.sqlite"
    with Runner(ResponseStore(store), show_progress=False) as runner:  # written before the store became read-only
        runner.run(load_model("mock/a"), requests_for(PROMPTS[:5], SamplingParams()))
    with Workspace(store, progress=False) as ws:
        assert ws.store.read_only
        answers = ws.answers(ws.model("mock/a"), PROMPTS[:5], SamplingParams())
        assert all(a[0] for a in answers)
        ws.embedding_cache.put_many({})  # an in-memory cache: nothing is written to the read-only file
