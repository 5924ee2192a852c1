"""Requests in flight are leased in the store: two runs on one store pay once per prompt (issue 29, defect 8)."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from distillscope.models.registry import load_model
from distillscope.runner.runner import Runner
from distillscope.runner.store import ResponseStore
from distillscope.testing.stub_server import StubConfig, StubServer
from distillscope.types import Prompt, SamplingParams

PROMPTS = [Prompt(text=f"question {i}") for i in range(16)]


def run_in_thread(store_path, spec, prompts, results, name):
    from distillscope.runner.answers import requests_for

    with Runner(ResponseStore(store_path), show_progress=False) as runner:
        results[name] = runner.run(load_model(spec), requests_for(prompts, SamplingParams()))


def lease_rows(store_path):
    with sqlite3.connect(store_path) as db:
        return db.execute("SELECT key, owner, host, pid, expires_at FROM leases").fetchall()


def test_two_concurrent_runs_on_one_store_pay_once_per_prompt(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    store_path = tmp_path / "shared.sqlite"
    ResponseStore(store_path).close()
    with StubServer(StubConfig(latency_s=0.15)) as server:
        spec = f"openai/stub?base_url={server.base_url}&concurrency=4"
        results: dict = {}
        threads = [threading.Thread(target=run_in_thread, args=(store_path, spec, PROMPTS, results, n)) for n in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        paid = [entry.prompt for entry in server.successes()]
    assert sorted(paid) == sorted(p.text for p in PROMPTS)  # each prompt answered by the server exactly once
    for name in ("a", "b"):
        assert all(r is not None for r in results[name].responses)
    assert [r.text for r in results["a"].responses] == [r.text for r in results["b"].responses]
    assert results["a"].counts.generated + results["b"].counts.generated == len(PROMPTS)
    assert lease_rows(store_path) == []  # every lease released once its answer was stored


def test_a_dead_owners_lease_is_taken_over(tmp_path, runner):
    from distillscope.runner.answers import requests_for
    from distillscope.runner.store.leases import LEASE_TABLE

    model = load_model("mock/a")
    requests = requests_for(PROMPTS[:3], SamplingParams())
    keys = model.request_keys(requests)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # reaped: its pid names no process now
    with sqlite3.connect(runner.store.path) as db:
        db.execute(LEASE_TABLE)
        db.executemany(
            "INSERT INTO leases VALUES (?, ?, ?, ?, ?)",
            [(k, "crashed-run", socket.gethostname(), dead.pid, time.time() + 3600) for k in keys[:2]]
            + [(keys[2], "other-host-run", "another-host", 1, time.time() - 1)],  # expired: its owner stopped renewing
        )
    started = time.monotonic()
    result = runner.run(model, requests)
    assert result.complete and result.counts.generated == 3
    assert time.monotonic() - started < 5  # taken over at once, not after the hour the dead lease claimed
    assert lease_rows(runner.store.path) == []


def test_a_live_lease_is_waited_for_and_its_answer_read_from_the_store(tmp_path, monkeypatch):
    """Another live process holds the lease: nothing is sent; the answer it stores is served as cached."""
    from distillscope.runner.answers import requests_for
    from distillscope.runner.store.leases import LEASE_TABLE

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    store_path = tmp_path / "shared.sqlite"
    with StubServer() as server:
        model = load_model(f"openai/stub?base_url={server.base_url}")
        requests = requests_for(PROMPTS[:1], SamplingParams())
        key = model.request_keys(requests)[0]
        other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])  # the other run: a live process
        with ResponseStore(store_path) as store, sqlite3.connect(store_path) as db:
            db.execute(LEASE_TABLE)
            db.execute("INSERT INTO leases VALUES (?, 'other-run', ?, ?, ?)", (key, socket.gethostname(), other.pid, time.time() + 60))
            db.commit()
        results: dict = {}

        def wait_run() -> None:
            with Runner(ResponseStore(store_path), show_progress=False) as runner:
                results["x"] = runner.run(model, requests)

        thread = threading.Thread(target=wait_run)
        thread.start()
        time.sleep(0.8)
        assert thread.is_alive()  # still waiting for the other run's answer
        from distillscope.runner.store.rows import utc_now
        from distillscope.types import Response

        answer = Response(
            key=key, model=model.identity, prompt_id=requests[0].prompt_id, sample_index=0, text="theirs", created_at=utc_now()
        )
        with ResponseStore(store_path) as store:
            store.put(answer, requests[0], model.rendered_input(requests[0]))
        with sqlite3.connect(store_path) as db:
            db.execute("DELETE FROM leases")
            db.commit()
        thread.join(timeout=30)
        other.kill()
        other.wait()
        assert server.successes() == []  # never paid for
    assert results["x"].responses[0].text == "theirs" and results["x"].counts.cached == 1


@pytest.mark.parametrize("how", ["closed", "interrupted"])
def test_leases_left_by_another_runner_of_this_process_do_not_hold_up_the_next(runner, how):
    """Leases left under this live pid by a runner closed mid-run, or by a run cut by Ctrl-C before it released
    them while its runner stays open (a notebook keeps it): dead once no run of theirs goes on, not waited on."""
    from distillscope.runner.answers import requests_for
    from distillscope.runner.store.leases import LEASE_TABLE, LIVE_OWNERS

    model = load_model("mock/a")
    requests = requests_for(PROMPTS[:2], SamplingParams())
    other = Runner(runner.store, show_progress=False)
    owner = other._leases.owner
    other._leases.begin()  # as inside a run
    assert owner in LIVE_OWNERS
    if how == "closed":
        other.close()
    else:
        other._leases.end()  # what run_jobs does however its run ended
    assert owner not in LIVE_OWNERS
    with sqlite3.connect(runner.store.path) as db:
        db.execute(LEASE_TABLE)
        rows = [(k, owner, socket.gethostname(), os.getpid(), time.time() + 3600) for k in model.request_keys(requests)]
        db.executemany("INSERT INTO leases VALUES (?, ?, ?, ?, ?)", rows)
    started = time.monotonic()
    assert runner.run(model, requests).counts.generated == 2
    assert time.monotonic() - started < 5
    other.close()


def test_a_killed_runs_leftover_leases_are_purged(runner):
    """A run killed between storing an answer and releasing its lease leaves a row nobody asks for again: the next run drops it."""
    from distillscope.runner.answers import requests_for
    from distillscope.runner.store.leases import LEASE_TABLE

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with sqlite3.connect(runner.store.path) as db:
        db.execute(LEASE_TABLE)
        db.execute(
            "INSERT INTO leases VALUES ('answered-long-ago', 'killed-run', ?, ?, ?)", (socket.gethostname(), dead.pid, time.time() + 60)
        )
        db.execute("INSERT INTO leases VALUES ('someone-elses', 'remote-run', 'another-host', 1, ?)", (time.time() + 60,))
    runner.run(load_model("mock/a"), requests_for(PROMPTS[:1], SamplingParams()))
    assert [row[0] for row in lease_rows(runner.store.path)] == ["someone-elses"]  # a live (unexpired, remote) lease stays
