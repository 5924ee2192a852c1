import json
import sqlite3

import pytest

from distillscope.models.registry import load_model
from distillscope.runner.answers import requests_for
from distillscope.runner.runner import Runner
from distillscope.runner.store import ResponseStore
from distillscope.runner.store.export import export_responses
from distillscope.types import Prompt, SamplingParams


def _run(store, spec, texts, **sampling):
    prompts = [Prompt(text=t) for t in texts]
    return Runner(store, show_progress=False).run(load_model(spec), requests_for(prompts, SamplingParams(**sampling)))


def test_store_uses_wal_and_answers_persist_across_connections(tmp_path):
    path = tmp_path / "s.sqlite"
    with ResponseStore(path) as store:
        result = _run(store, "mock/a", ["one", "two"])
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with ResponseStore(path) as store:
        again = store.get_many([r.key for r in result.responses])
    assert {r.text for r in again.values()} == {r.text for r in result.responses}
    assert all(r.cached for r in again.values())


def test_put_is_idempotent(tmp_path):
    with ResponseStore(tmp_path / "s.sqlite") as store:
        _run(store, "mock/a", ["one"])
        model = load_model("mock/a")
        request = requests_for([Prompt(text="one")], SamplingParams())[0]
        response = store.get(model.request_key(request))
        assert store.put(response, request, model.rendered_input(request)) is False
        assert store.stats().responses == 1


def test_failures_are_kept_apart_and_never_served(tmp_path):
    with ResponseStore(tmp_path / "s.sqlite") as store:
        bad = Prompt(text="refuse me")
        result = _run(store, f"mock/a?fail_prompts={bad.id}", ["fine", "refuse me"])
        assert result.responses[1] is None and result.failures[0].error_type == "GenerationError"
        stats = store.stats()
        assert (stats.responses, stats.failures, stats.failed_keys_without_answer) == (1, 1, 1)
        assert store.get(result.failures[0].key) is None


def test_stats_per_model(tmp_path):
    with ResponseStore(tmp_path / "s.sqlite") as store:
        _run(store, "mock/a", ["x", "y"])
        _run(store, "mock/b", ["x"])
        per_model = {row["model"]: row["responses"] for row in store.stats().per_model}
    assert per_model == {"mock/a": 2, "mock/b": 1}


def test_export_jsonl_and_parquet_round_trip(tmp_path):
    import pandas as pd

    with ResponseStore(tmp_path / "s.sqlite") as store:
        _run(store, "mock/a", ["x", "y"], n=2, temperature=0.5)
        _run(store, "mock/b", ["x"])
        assert export_responses(store, tmp_path / "all.jsonl") == 5
        assert export_responses(store, tmp_path / "a.parquet", model="mock/a") == 4
    rows = [json.loads(line) for line in (tmp_path / "all.jsonl").read_text().splitlines()]
    assert {r["model"] for r in rows} == {"mock/a", "mock/b"}
    assert all(r["response"] == r["text"] and r["messages"][0]["role"] == "user" for r in rows)
    frame = pd.read_parquet(tmp_path / "a.parquet")
    assert len(frame) == 4 and set(frame["sample_index"]) == {0, 1}
    assert set(frame["model"]) == {"mock/a"}


def _hold_write_lock(path, seconds: float):
    """A second connection (another process, in effect) holding the write lock for `seconds`."""
    import threading

    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN EXCLUSIVE")
    timer = threading.Timer(seconds, lambda: (other.execute("COMMIT"), other.close()))
    timer.start()
    return timer


def test_a_long_write_lock_is_waited_out_off_the_event_loop(tmp_path):
    import asyncio
    import time

    path = tmp_path / "s.sqlite"
    with ResponseStore(path) as seed:
        _run(seed, "mock/a", ["warm"])
    store = ResponseStore(path, busy_timeout_s=0.05, write_deadline_s=30)
    model = load_model("mock/a")
    request = requests_for([Prompt(text="paid for")], SamplingParams())[0]
    key = model.request_key(request)
    from distillscope.types import Response

    response = Response(
        key=key,
        model=model.identity,
        prompt_id=request.prompt_id,
        sample_index=0,
        text="answer",
        created_at="2026-01-01T00:00:00.000+00:00",
    )

    async def write_while_ticking():
        ticks = 0
        write = asyncio.ensure_future(store.aput_many([(response, request, model.rendered_input(request))]))
        while not write.done():
            ticks += 1
            await asyncio.sleep(0.01)
        return await write, ticks

    timer = _hold_write_lock(path, 1.0)
    started = time.monotonic()
    written, ticks = asyncio.run(write_while_ticking())
    timer.join()
    assert written == 1 and time.monotonic() - started >= 0.9  # it waited for the lock ...
    assert ticks >= 40  # ... while the event loop kept running (a blocking write would allow ~1 tick)
    assert store.get(key).text == "answer"
    store.close()


def test_a_run_rides_out_a_held_lock_without_losing_answers(tmp_path):
    path = tmp_path / "s.sqlite"
    store = ResponseStore(path, busy_timeout_s=0.05, write_deadline_s=30)
    timer = _hold_write_lock(path, 1.0)
    result = Runner(store, show_progress=False).run(
        load_model("mock/a"), requests_for([Prompt(text=f"q{i}") for i in range(6)], SamplingParams())
    )
    timer.join()
    assert result.complete and store.stats().responses == 6 and store.stats().failures == 0
    store.close()


def test_a_lock_that_never_ends_spills_the_answers_and_says_so_in_one_line(tmp_path):
    from distillscope.errors import UserError
    from distillscope.runner.store import StoreUnavailableError

    path = tmp_path / "s.sqlite"
    prompts = [Prompt(text=f"q{i}") for i in range(5)]
    with ResponseStore(path) as seed:
        _run(seed, "mock/a", ["warm"])
    store = ResponseStore(path, busy_timeout_s=0.05, write_deadline_s=0.3)
    timer = _hold_write_lock(path, 1.5)
    with pytest.raises(StoreUnavailableError) as raised:
        Runner(store, show_progress=False).run(load_model("mock/a"), requests_for(prompts, SamplingParams()))
    store.close()  # waits for the writes already handed over
    message = str(raised.value)
    assert isinstance(raised.value, UserError) and "\n" not in message and "unsaved.jsonl" in message
    spill = path.with_name(path.name + ".unsaved.jsonl")
    assert sum('"responses"' in line for line in spill.read_text().splitlines()) == 5
    timer.join()
    with ResponseStore(path) as reopened:  # the next open imports what was kept
        assert not spill.exists() and reopened.stats().responses == 6
        model = load_model("mock/a")
        again = Runner(reopened, show_progress=False).run(model, requests_for(prompts, SamplingParams()))
    assert again.counts.cached == 5 and model.calls == 0


def test_stats_report_sizes_and_dates_per_model(tmp_path):
    with ResponseStore(tmp_path / "s.sqlite") as store:
        _run(store, "mock/a", ["x", "y", "z"])
        _run(store, "mock/b", ["x"])
        stats = store.stats()
    rows = {row["model"]: row for row in stats.per_model}
    assert stats.size_bytes > 0 and stats.unsaved_answers == 0
    assert rows["mock/a"]["bytes"] > 2 * rows["mock/b"]["bytes"] > 0
    assert rows["mock/a"]["oldest"] <= rows["mock/a"]["newest"]


def test_prune_by_model_and_date(tmp_path):
    from distillscope.errors import UserError

    with ResponseStore(tmp_path / "s.sqlite") as store:
        _run(store, "mock/a", ["x", "y"])
        _run(store, f"mock/a?fail_prompts={Prompt(text='bad').id}", ["bad"])
        _run(store, "mock/b", ["x"])
        assert store.prune("mock/a", before="2000-01-01").responses == 0
        with pytest.raises(UserError, match="not a date"):
            store.prune("mock/a", before="last tuesday")
        pruned = store.prune("mock/a", before="2999-01-01T00:00")
        assert (pruned.responses, pruned.failures) == (2, 0)  # the failure belongs to another identity (fail_prompts)
        assert store.prune(f"mock/a?fail_prompts={Prompt(text='bad').id}").failures == 1
        assert store.model_names() == ["mock/b"]
        store.vacuum()
        assert store.stats().responses == 1
