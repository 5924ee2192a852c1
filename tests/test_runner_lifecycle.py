"""What a Runner keeps for its whole life (limits, clients, preflight), and how it fails."""

from __future__ import annotations

import asyncio

import pytest

from distillscope.models.mock import MockModel
from distillscope.models.registry import load_model
from distillscope.models.spec import ModelSpec
from distillscope.runner.answers import requests_for
from distillscope.runner.runner import Job, RetryPolicy, Runner
from distillscope.runner.store import ResponseStore
from distillscope.testing.stub_server import StubServer
from distillscope.types import Completion, Prompt, SamplingParams

FAST_RETRY = RetryPolicy(max_attempts=4, initial_wait_s=0.0, max_wait_s=0.01)


def _prompts(n: int, tag: str = "q") -> list[Prompt]:
    return [Prompt(text=f"{tag}{i}") for i in range(n)]


def test_rate_limit_holds_across_many_runs(tmp_path):
    # rpm=1200: bursts of 20, then 20 a second. 20 runs of 2 new prompts each = 40 requests,
    # which must take about a second; a limiter rebuilt per run would let all 40 through at once.
    with StubServer() as stub, Runner(ResponseStore(tmp_path / "s.sqlite"), show_progress=False) as runner:
        for i in range(20):
            model = load_model(f"openai/stub?base_url={stub.base_url}&rpm=1200")
            assert runner.run(model, requests_for(_prompts(2, f"run{i}-"), SamplingParams())).complete
        times = sorted(entry.at for entry in stub.log)
    assert len(times) == 40
    assert times[-1] - times[0] >= 0.85


def test_models_endpoint_is_asked_once_per_endpoint_per_runner(tmp_path):
    store = ResponseStore(tmp_path / "s.sqlite")
    with StubServer() as stub:
        with Runner(store, show_progress=False) as runner:
            for i in range(5):  # fresh model objects, two names, one server
                for name in ("m1", "m2"):
                    runner.run(load_model(f"openai/{name}?base_url={stub.base_url}"), requests_for(_prompts(1, f"{i}"), SamplingParams()))
        assert stub.models_requests == 1
        with Runner(store, show_progress=False) as another:
            another.run(load_model(f"openai/m1?base_url={stub.base_url}"), requests_for(_prompts(1, "new"), SamplingParams()))
        assert stub.models_requests == 2


def test_run_works_inside_a_running_event_loop(tmp_path):
    """A notebook cell: the caller's loop is running, so asyncio.run would refuse."""
    runner = Runner(ResponseStore(tmp_path / "s.sqlite"), show_progress=False)

    async def notebook_cell():
        blocking = runner.run(load_model("mock/a"), requests_for(_prompts(3), SamplingParams()))
        awaited = await runner.arun([Job(load_model("mock/b"), requests_for(_prompts(3), SamplingParams()))])
        return blocking, awaited[0]

    blocking, awaited = asyncio.run(notebook_cell())
    assert blocking.complete and awaited.complete
    assert blocking.responses[0].text != awaited.responses[0].text
    runner.close()


class _BuggyModel(MockModel):
    async def generate(self, requests):
        self.calls += 1
        return [Completion(text=requests[0].messages[0].content.upper(unknown_argument=1))]


def test_a_bug_in_a_backend_surfaces_with_its_traceback_and_is_neither_retried_nor_recorded(tmp_path):
    store = ResponseStore(tmp_path / "s.sqlite")
    model = _BuggyModel(ModelSpec.parse("mock/buggy?concurrency=1"))
    with pytest.raises(TypeError, match="keyword arguments") as raised:
        Runner(store, show_progress=False, retry=FAST_RETRY).run(model, requests_for(_prompts(5), SamplingParams()))
    assert model.calls == 1
    assert raised.traceback[-1].name == "generate"  # the traceback points into the backend
    assert store.stats().failures == 0 and store.stats().responses == 0


class _NewAnswers(MockModel):
    def answer(self, request):
        return Completion(text="regenerated", finish_reason="stop")


def test_refresh_regenerates_once_and_overwrites(tmp_path):
    store = ResponseStore(tmp_path / "s.sqlite")
    requests = requests_for(_prompts(4), SamplingParams())
    first = Runner(store, show_progress=False).run(load_model("mock/a"), requests)
    with Runner(store, show_progress=False, refresh=True) as runner:
        model = _NewAnswers(ModelSpec.parse("mock/a"))
        refreshed = runner.run(model, requests)
        again = runner.run(model, requests)  # within one refreshing runner, each answer is regenerated once
    assert (refreshed.counts.generated, refreshed.counts.cached) == (4, 0)
    assert (again.counts.generated, again.counts.cached) == (0, 4)
    assert [r.key for r in refreshed.responses] == [r.key for r in first.responses]
    assert {store.get(r.key).text for r in first.responses} == {"regenerated"}
    assert store.stats().responses == 4


class _Interrupted(MockModel):
    """Ctrl-C arrives during the 7th call, while the answers of the first 6 are being written."""

    async def generate(self, requests):
        if self.calls >= 6:
            raise KeyboardInterrupt
        return await super().generate(requests)


def test_an_interrupted_run_keeps_every_answer_it_received(tmp_path):
    store = ResponseStore(tmp_path / "s.sqlite")
    model = _Interrupted(ModelSpec.parse("mock/a?concurrency=20"))
    with pytest.raises(KeyboardInterrupt):
        Runner(store, show_progress=False).run(model, requests_for(_prompts(20), SamplingParams()))
    assert model.calls == 6 and store.stats().responses == 6  # stored before run() re-raised
