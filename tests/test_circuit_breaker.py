"""A dead endpoint stops the run after N consecutive connection failures, in one line; stored answers are kept."""

from __future__ import annotations

import socket

import pytest

from distillscope.errors import UserError
from distillscope.models.registry import load_model
from distillscope.runner.answers import requests_for
from distillscope.runner.limits import CircuitBreaker, EndpointUnreachableError
from distillscope.types import Prompt, SamplingParams

PROMPTS = [Prompt(id=f"p{i}", text=f"question {i}") for i in range(64)]


def test_the_breaker_trips_at_the_limit_and_any_answer_resets_it():
    breaker = CircuitBreaker("http://h/v1", 3)
    breaker.failed()
    breaker.failed()
    breaker.reached()  # the server answered (even with an error status): it is alive, the count starts again
    breaker.failed()
    breaker.failed()
    with pytest.raises(EndpointUnreachableError, match="endpoint http://h/v1 unreachable: 3 consecutive connection failures"):
        breaker.failed()
    with pytest.raises(EndpointUnreachableError):
        breaker.check()  # and stays open: no further request goes out
    off = CircuitBreaker("x", 0)
    for _ in range(100):
        off.failed()


def test_a_dead_endpoint_stops_after_n_connection_failures_not_n_times_every_retry(runner):
    model = load_model("mock/m?unreachable=1&concurrency=1")
    with pytest.raises(UserError, match="endpoint mock/m unreachable: 8 consecutive connection failures; stored answers kept"):
        runner.run(model, requests_for(PROMPTS, SamplingParams()))
    assert model.calls == 8  # without the breaker: 64 prompts x 6 attempts = 384 calls, with backoff between them
    # the same runner (a notebook's workspace) tries again on the next run: the server may be back
    assert all(runner.run(load_model("mock/m?concurrency=1"), requests_for(PROMPTS[:3], SamplingParams())).responses)


def test_the_limit_is_a_spec_option_and_zero_switches_it_off(runner):
    model = load_model("mock/m?unreachable=1&concurrency=1&circuit_breaker=3")
    with pytest.raises(UserError, match="3 consecutive"):
        runner.run(model, requests_for(PROMPTS, SamplingParams()))
    assert model.calls == 3
    off = load_model("mock/m2?unreachable=1&circuit_breaker=0&max_retries=0")
    result = runner.run(off, requests_for(PROMPTS[:5], SamplingParams()))
    assert len(result.failures) == 5 and off.calls == 5  # recorded one by one, as before
    assert load_model("mock/m?circuit_breaker=3").identity == "mock/m"  # operational: never in the store key


def test_stored_answers_are_kept_and_a_rerun_resumes(cli, write_prompts, isolated_store):
    prompts = write_prompts([f"question {i}" for i in range(64)])
    first = write_prompts([f"question {i}" for i in range(10)], name="first.jsonl")
    assert cli("generate", "--model", "mock/m", "--prompts", first, "--no-progress")[0] == 0
    code, _, err = cli("generate", "--model", "mock/m?unreachable=1", "--prompts", prompts, "--no-progress")
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and "unreachable: 8 consecutive connection failures; stored answers kept" in lines[0], err
    from distillscope.runner.store import ResponseStore

    with ResponseStore(isolated_store) as store:
        assert len(list(store.iter_responses())) == 10  # what was stored before the dead endpoint is all there
    code, _, err = cli("generate", "--model", "mock/m", "--prompts", prompts, "--no-progress")
    assert code == 0, err
    with ResponseStore(isolated_store) as store:
        assert len(list(store.iter_responses())) == 64


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_openai_endpoint_that_refuses_connections_trips_the_breaker(runner):
    pytest.importorskip("openai")
    url = f"http://127.0.0.1:{_dead_port()}/v1"
    model = load_model(f"openai/m?base_url={url}")
    runner._preflighted.add(model.preflight_key)  # the server died after its preflight passed
    with pytest.raises(UserError, match=f"endpoint {url} unreachable: 8 consecutive connection failures"):
        runner.run(model, requests_for(PROMPTS, SamplingParams()))
