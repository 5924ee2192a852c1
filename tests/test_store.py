import json
import sqlite3

from distillscope.models.registry import load_model
from distillscope.runner.export import export_responses
from distillscope.runner.runner import Runner, requests_for
from distillscope.runner.store import ResponseStore
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
