"""The library API and the runner's loop: a caller's event loop keeps running, Ctrl-C leaves no pending task behind,
greedy resamples are refused, and a huge prompt is warned about and stored once."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import signal
import sqlite3
import threading

import pytest

from distillscope.errors import UserError
from distillscope.models.registry import load_model
from distillscope.runner.answers import requests_for
from distillscope.runner.event_loop import LoopThread
from distillscope.runner.jobs import LARGE_PROMPT_BYTES
from distillscope.types import Prompt, SamplingParams

DESTROYED = "Task was destroyed but it is pending"


def _config():
    from distillscope.audit.config import AuditConfig

    return AuditConfig(
        teacher="mock/alpha?latency=0.03", students=["mock/beta?latency=0.03&concurrency=1"], metrics=["similarity"], n=12, ladder_n=0
    )


def test_an_awaited_audit_leaves_the_callers_event_loop_running(tmp_path, monkeypatch):
    from distillscope.pipeline.audit import arun_audit
    from distillscope.testing.hashing_embedder import HashingEmbedder
    from distillscope.workspace import Workspace

    monkeypatch.setattr("distillscope.metrics.embeddings.Embedder", lambda cache=None, **kw: HashingEmbedder(256))

    async def main() -> tuple[int, object]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.005)
                ticks += 1

        task = asyncio.ensure_future(ticker())
        with Workspace(tmp_path / "s.sqlite", progress=False) as ws:
            results = await arun_audit(_config(), ws, "similarity")
        task.cancel()
        return ticks, results

    ticks, results = asyncio.run(main())
    assert results.students["mock/beta"].similarity is not None
    # the student alone answers 12 prompts one at a time at 0.03 s each: the ticker kept going meanwhile
    assert ticks >= 20


def test_the_blocking_call_warns_when_it_would_hold_a_running_loop(tmp_path, monkeypatch):
    from distillscope.pipeline.audit import run_audit
    from distillscope.testing.hashing_embedder import HashingEmbedder
    from distillscope.workspace import Workspace

    monkeypatch.setattr("distillscope.metrics.embeddings.Embedder", lambda cache=None, **kw: HashingEmbedder(256))

    async def main() -> None:
        with Workspace(tmp_path / "s.sqlite", progress=False) as ws:
            with pytest.warns(UserWarning, match="arun_audit"):
                run_audit(_config(), ws, "similarity")

    asyncio.run(main())


def test_closing_the_loop_cancels_what_is_still_pending(caplog):
    loop_thread = LoopThread("test-loop")
    started = threading.Event()

    async def forever() -> None:
        started.set()
        await asyncio.sleep(3600)

    asyncio.run_coroutine_threadsafe(forever(), loop_thread.loop)
    started.wait(5)
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        loop_thread.close()
        gc.collect()
    assert DESTROYED not in caplog.text


def test_ctrl_c_during_a_run_stores_nothing_twice_and_leaves_no_pending_task(runner, caplog):
    model = load_model("mock/slow?latency=30")
    # Python's own Ctrl-C handler, as a user's shell gives it: a library imported by an earlier test may have left
    # another one installed in this process
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))  # a real Ctrl-C, delivered to the main thread
    timer.start()
    try:
        with caplog.at_level(logging.ERROR, logger="asyncio"):
            with pytest.raises(KeyboardInterrupt):
                runner.run(model, requests_for([Prompt(text=f"q{i}") for i in range(4)], SamplingParams()))
            runner.close()
            gc.collect()
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert DESTROYED not in caplog.text


def test_several_samples_at_temperature_0_are_refused_naming_temperature(cli, write_prompts, isolated_store):
    code, _, err = cli("generate", "--model", "mock/m", "--prompts", write_prompts(["a", "b"]), "--samples", "3", "--no-progress")
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and "--temperature" in lines[0] and "--samples" in lines[0], err
    code, _, err = cli(
        "generate", "--model", "mock/m", "--prompts", write_prompts(["a", "b"]), "--samples", "3", "--temperature", "0.7", "--no-progress"
    )
    assert code == 0, err


def test_the_library_refuses_greedy_resamples_before_paying(runner):
    model = load_model("mock/m")
    with pytest.raises(UserError, match="--temperature"):
        runner.run(model, requests_for([Prompt(text="q")], SamplingParams(n=3)))
    assert model.calls == 0


def test_a_huge_prompt_is_warned_about_and_stored_once(runner, caplog):
    text = "word " * (LARGE_PROMPT_BYTES // 5 + 1000)
    with caplog.at_level(logging.WARNING, logger="distillscope"):
        result = runner.run(load_model("mock/m"), requests_for([Prompt(id="big", text=text)], SamplingParams(max_tokens=8)))
    assert result.responses[0] is not None
    assert "prompt big" in caplog.text and "MB" in caplog.text
    db = sqlite3.connect(runner.store.path)
    (input_bytes, rendered_bytes) = db.execute("SELECT length(input_json), length(rendered_input) FROM responses").fetchone()
    db.close()
    assert input_bytes > LARGE_PROMPT_BYTES and rendered_bytes == 0  # once, not twice
    (record,) = list(runner.store.iter_responses())
    assert json.loads(record["rendered_input"])[0]["content"] == text  # the export still gives what was sent
