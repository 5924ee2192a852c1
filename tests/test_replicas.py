"""One model served by several replicas: routing, health, and a replica that dies mid-run."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter

import pytest

from distillscope.errors import UserError
from distillscope.models.registry import load_model
from distillscope.models.replicas import ReplicaSet
from distillscope.runner.answers import requests_for
from distillscope.runner.runner import RetryPolicy, Runner
from distillscope.runner.store import ResponseStore
from distillscope.testing.stub_server import StubConfig, StubServer
from distillscope.types import Prompt, SamplingParams

FAST_RETRY = RetryPolicy(max_attempts=5, initial_wait_s=0.01, max_wait_s=0.2)


def test_replicas_share_the_first_urls_identity_and_store_keys():
    single = load_model("openai/qwen?base_url=http://a:8000/v1")
    replicated = load_model("openai/qwen?base_url=http://a:8000/v1,http://b:8000/v1&concurrency=4")
    request = requests_for([Prompt(text="hi")], SamplingParams())[0]
    assert replicated.identity == single.identity == "openai/qwen?base_url=http://a:8000/v1"
    assert replicated.request_key(request) == single.request_key(request)
    assert replicated.concurrency == 8 and replicated.per_replica_concurrency == 4
    assert replicated.endpoint != single.endpoint  # limits are per replica set


@pytest.mark.parametrize(
    "base_url",
    ["http://a:8000/v1,http://user:sk-abcdef1234567890@b:8000/v1", "http://a:8000/v1,ftp://b/v1", "http://a/v1,http://a/v1"],
)
def test_every_replica_url_is_checked(base_url):
    with pytest.raises(UserError):
        load_model(f"openai/qwen?base_url={base_url}")


def test_requests_go_to_the_least_busy_replica_and_a_failed_one_is_probed_back():
    probes: list[str] = []
    up = {"a": True, "b": True}

    async def probe(url):
        probes.append(url)
        return up[url]

    async def scenario():
        replicas = ReplicaSet(["a", "b"], per_replica=2, probe=probe, first_backoff_s=0.05, max_backoff_s=0.2)
        async with replicas.lease() as first, replicas.lease() as second, replicas.lease() as third:
            assert {first.url, second.url} == {"a", "b"} and third.in_flight == 2
        up["a"] = False
        a = replicas.replicas[0]
        replicas.failed(a)
        async with replicas.lease() as chosen:
            assert chosen.url == "b"  # the failed replica gets nothing while out
        await asyncio.sleep(0.25)  # probes at +0.05 (down), +0.15 (down), ...
        assert not a.healthy and probes.count("a") >= 2
        up["a"] = True
        await asyncio.sleep(0.3)
        assert a.healthy and a.failures == 0
        await replicas.aclose()

    asyncio.run(scenario())


def test_a_replica_killed_mid_run_loses_nothing_and_pays_nothing_twice(tmp_path):
    n = 40
    prompts = [Prompt(text=f"q{i}") for i in range(n)]
    config = StubConfig(latency_s=0.05)
    with StubServer(config) as doomed, StubServer(config) as survivor, ResponseStore(tmp_path / "s.sqlite") as store:
        spec = f"openai/stub?base_url={doomed.base_url},{survivor.base_url}&concurrency=2&timeout=5"
        killed_at: list[float] = []

        def kill_when_busy() -> None:
            deadline = time.monotonic() + 30
            while len(doomed.successes()) < 5 and time.monotonic() < deadline:
                time.sleep(0.005)
            killed_at.append(time.time())
            doomed.kill()

        killer = threading.Thread(target=kill_when_busy)
        killer.start()
        with Runner(store, show_progress=False, retry=FAST_RETRY) as runner:
            result = runner.run(load_model(spec), requests_for(prompts, SamplingParams()))
        killer.join()
        assert result.complete and result.counts.failed == 0 and store.stats().failures == 0
        stored = Counter(r.prompt_id for r in result.responses)
        assert len(stored) == n and store.stats().responses == n
        answered = Counter(e.prompt for e in doomed.successes() + survivor.successes())
        assert answered == Counter(p.text for p in prompts)  # every prompt answered (paid) exactly once
        assert 5 <= len(doomed.successes()) < n / 2  # both served until the kill ...
        assert all(e.at <= killed_at[0] for e in doomed.successes())
        assert len([e for e in survivor.successes() if e.at > killed_at[0]]) >= n / 2  # ... then the live one took the load


def test_adding_replicas_keeps_the_keys_of_the_single_server_spec_as_written():
    request = requests_for([Prompt(text="hi")], SamplingParams())[0]
    single = load_model("openai/qwen?base_url=http://a:8000/v1/")
    grown = load_model("openai/qwen?base_url=http://a:8000/v1/,http://b:8000/v1")
    assert grown.request_key(request) == single.request_key(request)
