"""The OpenAI-compatible backend against a loopback stub that misbehaves on purpose."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from distillscope.models.registry import load_model
from distillscope.runner.answers import requests_for
from distillscope.runner.runner import RetryPolicy, Runner
from distillscope.runner.store import ResponseStore
from distillscope.testing.stub_server import StubConfig, StubServer
from distillscope.types import Prompt, SamplingParams

FAST_RETRY = RetryPolicy(max_attempts=5, initial_wait_s=0.01, max_wait_s=0.5)


def _prompts(n: int) -> list[Prompt]:
    return [Prompt(text=f"q{i}") for i in range(n)]


def test_faults_are_retried_until_every_prompt_completes_and_no_error_is_cached(tmp_path):
    faults = {"q1": ["429", "429"], "q2": ["500"], "q3": ["timeout"], "q4": ["malformed"], "q5": ["500", "429", "malformed"]}
    with StubServer(StubConfig(faults=faults, retry_after_s=0.3, timeout_sleep_s=2.0)) as stub:
        model = load_model(f"openai/stub?base_url={stub.base_url}&timeout=0.5&concurrency=4")
        with ResponseStore(tmp_path / "s.sqlite") as store:
            result = Runner(store, show_progress=False, retry=FAST_RETRY).run(model, requests_for(_prompts(8), SamplingParams()))
            assert result.complete and result.counts.failed == 0
            assert result.counts.retries == 8  # one per injected fault
            assert [r.text for r in result.responses] == [f"stub answer to: q{i}" for i in range(8)]
            assert store.stats().failures == 0 and store.stats().responses == 8
    # Retry-After was honoured: q1's retries came at least 0.3 s apart.
    q1 = [e.at for e in stub.log if e.prompt == "q1"]
    assert len(q1) == 3 and min(b - a for a, b in zip(q1, q1[1:])) >= 0.29
    assert all(len(stub.successes(f"q{i}")) == 1 for i in range(8))


def test_retry_after_header_parsing():
    from distillscope.models.openai_api import parse_retry_after

    assert parse_retry_after({"retry-after": "2"}) == 2.0
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert parse_retry_after({}) is None


def test_persistent_server_errors_end_as_failures_not_answers(tmp_path):
    with StubServer(StubConfig(faults={"q0": ["500"] * 10})) as stub:
        model = load_model(f"openai/stub?base_url={stub.base_url}")
        with ResponseStore(tmp_path / "s.sqlite") as store:
            result = Runner(store, show_progress=False, retry=FAST_RETRY).run(model, requests_for(_prompts(2), SamplingParams()))
            assert result.responses[0] is None and result.responses[1] is not None
            assert store.stats().failures == 1 and store.get(result.failures[0].key) is None


def test_sampling_parameters_reach_the_server_and_the_key(tmp_path):
    with StubServer() as stub:
        model = load_model(f"openai/stub?base_url={stub.base_url}")
        with ResponseStore(tmp_path / "s.sqlite") as store:
            result = Runner(store, show_progress=False).run(model, requests_for(_prompts(1), SamplingParams(temperature=0.7, n=3, seed=5)))
    assert [r.text for r in result.responses] == [f"stub answer to: q0 (seed {s})" for s in (5, 6, 7)]


def test_completion_mode_sends_the_question_answer_frame(tmp_path):
    with StubServer() as stub:
        model = load_model(f"openai/base?base_url={stub.base_url}&mode=completion")
        with ResponseStore(tmp_path / "s.sqlite") as store:
            result = Runner(store, show_progress=False).run(model, requests_for(_prompts(1), SamplingParams()))
    assert stub.log[0].prompt.endswith("Question: q0\nAnswer:")
    assert result.responses[0].text.startswith("stub answer to:")


def test_the_api_key_is_never_stored_or_exported(tmp_path, monkeypatch):
    monkeypatch.setenv("MY_SECRET_KEY", "sk-very-secret-123")
    with StubServer() as stub:
        model = load_model(f"openai/stub?base_url={stub.base_url}&api_key_env=MY_SECRET_KEY")
        with ResponseStore(tmp_path / "s.sqlite") as store:
            Runner(store, show_progress=False).run(model, requests_for(_prompts(2), SamplingParams()))
    dump = b"".join(p.read_bytes() for p in tmp_path.glob("s.sqlite*"))
    assert b"sk-very-secret" not in dump
    assert b"MY_SECRET_KEY" not in dump  # even the variable name is operational, not identity


def _stored_prompts(store_path) -> list[str]:
    if not store_path.exists():
        return []
    db = sqlite3.connect(store_path, timeout=30)
    try:
        return [json.loads(row[0])[-1]["content"] for row in db.execute("SELECT input_json FROM responses")]
    except sqlite3.OperationalError:  # the run has created the file but not yet its tables
        return []
    finally:
        db.close()


def test_generate_killed_with_sigkill_resumes_without_paying_twice(tmp_path, write_prompts):
    n = 40
    prompts_file = write_prompts([f"q{i}" for i in range(n)])
    store_path = tmp_path / "kill.sqlite"
    env = {**os.environ, "DISTILLSCOPE_STORE": str(store_path)}
    with StubServer(StubConfig(latency_s=0.1)) as stub:
        cmd = [
            sys.executable,
            "-m",
            "distillscope",
            "generate",
            "--model",
            f"openai/stub?base_url={stub.base_url}&concurrency=2",
            "--prompts",
            str(prompts_file),
            "--no-progress",
        ]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(_stored_prompts(store_path)) < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        time.sleep(0.5)  # let the stub finish logging what was in flight at the kill
        stored_before = set(_stored_prompts(store_path))
        assert 8 <= len(stored_before) < n, "the kill must land mid-run"
        requests_before = len(stub.log)

        rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert rerun.returncode == 0, rerun.stderr
        second_run = stub.log[requests_before:]
    stored_after = _stored_prompts(store_path)
    assert sorted(stored_after) == sorted(f"q{i}" for i in range(n))  # every prompt exactly once
    assert not {e.prompt for e in second_run} & stored_before  # nothing stored was asked again
    assert len(second_run) == n - len(stored_before)  # only what was missing was sent


@pytest.mark.parametrize("status", [401, 403])
def test_a_rejected_key_stops_the_run_at_once_and_records_nothing(tmp_path, status):
    from distillscope.errors import MissingApiKeyError

    with StubServer(StubConfig(generation_status=status)) as stub:  # /models stays open, generation refuses the key
        model = load_model(f"openai/stub?base_url={stub.base_url}&concurrency=1")
        with ResponseStore(tmp_path / "s.sqlite") as store:
            with pytest.raises(MissingApiKeyError) as raised:
                Runner(store, show_progress=False, retry=FAST_RETRY).run(model, requests_for(_prompts(20), SamplingParams()))
            assert store.stats().failures == 0 and store.stats().responses == 0
    assert len(stub.log) == 1  # the first refusal ends the run: no other prompt is sent
    assert f"HTTP {status}" in str(raised.value) and "OPENAI_API_KEY" in str(raised.value) and "\n" not in str(raised.value)
    assert "Incorrect API key" not in str(raised.value)  # the server's body (which may echo the key) is not repeated


@pytest.mark.parametrize(
    ("fault", "reason"),
    [("null", "no content"), ("refusal", "refused .*can't help"), ("tool_call", "called a tool")],
)
def test_null_content_is_a_failure_with_its_reason_never_an_empty_answer(tmp_path, fault, reason):
    with StubServer(StubConfig(faults={"q0": [fault]})) as stub:
        model = load_model(f"openai/stub?base_url={stub.base_url}")
        with ResponseStore(tmp_path / "s.sqlite") as store:
            runner = Runner(store, show_progress=False, retry=FAST_RETRY)
            result = runner.run(model, requests_for(_prompts(2), SamplingParams()))
            assert result.responses[0] is None and result.responses[1].text == "stub answer to: q1"
            assert result.failures[0].error_type == "GenerationError"
            assert re.search(reason, result.failures[0].message)
            assert store.get(result.failures[0].key) is None  # not cached: the next run asks again
            again = runner.run(model, requests_for(_prompts(2), SamplingParams()))
    assert again.complete and again.counts.generated == 1
