"""Cost accounting: tokens and money per model from a price table, cache hits free, and --max-cost stops before the limit."""

import json

import pytest

from distillscope.errors import UserError
from distillscope.models.registry import load_model
from distillscope.runner.answers import requests_for
from distillscope.runner.cost import CostLimitReached, CostMeter, Price, PriceTable, upper_estimate
from distillscope.runner.runner import Runner
from distillscope.runner.store import ResponseStore
from distillscope.testing.stub_server import StubServer
from distillscope.types import Completion, Prompt, SamplingParams

EXPENSIVE = {"input": 1000.0, "output": 2000.0}  # USD per 1M tokens: a cent per ten tokens, so small runs cost dollars


def test_prices_match_exact_specs_then_bare_names_and_local_models_are_free():
    table = PriceTable(
        prices={"openai/gpt-4o-mini": Price(input=0.15, output=0.6), "openai/x?base_url=http://h/v1": Price(input=1, output=2)}
    )
    assert table.price_of("openai/gpt-4o-mini?base_url=http://other/v1").input == 0.15  # a bare name prices every variant
    assert table.price_of("openai/x?base_url=http://h/v1").output == 2
    assert table.price_of("openai/x?base_url=http://elsewhere/v1") is None  # options given: only that variant
    assert table.price_of("builtin/gemma-3-270m") == Price(input=0, output=0)
    assert table.price_of("anthropic/claude") is None


def test_price_table_file_errors_are_one_line(tmp_path):
    bad = tmp_path / "prices.yaml"
    bad.write_text("openai/gpt-4o-mini: {input: -1, output: 2}\n")
    with pytest.raises(UserError, match="openai/gpt-4o-mini.input") as info:
        PriceTable.load(bad)
    assert "\n" not in str(info.value)
    good = tmp_path / "good.yaml"
    good.write_text("prices:\n  openai/gpt-4o-mini: {input: 0.15, output: 0.6}\n")
    assert PriceTable.load(good).price_of("openai/gpt-4o-mini").output == 0.6


def test_meter_counts_paid_tokens_and_money_and_cached_answers_apart():
    meter = CostMeter(PriceTable(prices={"openai/m": Price(input=1.0, output=4.0)}))
    meter.record("openai/m", Completion(text="a", prompt_tokens=1000, completion_tokens=500), "x", 512)
    mark = meter.mark()
    meter.record("openai/m", Completion(text="b", prompt_tokens=2000, completion_tokens=0), "x", 512)
    meter.record_cached("openai/m", 3)
    usage = meter.usage["openai/m"]
    assert (usage.paid_queries, usage.cached_queries, usage.prompt_tokens, usage.completion_tokens) == (2, 3, 3000, 500)
    assert usage.cost == pytest.approx((3000 * 1.0 + 500 * 4.0) / 1e6)
    since = meter.since(mark)["openai/m"]
    assert (since.paid_queries, since.cached_queries, since.cost) == (1, 3, pytest.approx(2000 / 1e6))
    meter.record("openai/unpriced", Completion(text="c", prompt_tokens=1, completion_tokens=1), "x", 8)
    assert meter.total()["cost"] is None  # never a guessed number


def test_answers_without_usage_are_costed_at_the_upper_estimate():
    meter = CostMeter(PriceTable(prices={"openai/m": Price(input=1.0, output=1.0)}))
    meter.record("openai/m", Completion(text="a"), "héllo", 100)
    assert meter.usage["openai/m"].unmetered == 1
    assert meter.usage["openai/m"].prompt_tokens == upper_estimate(["héllo"], [100])[0] == 6 + 16


def test_reserve_refuses_a_batch_that_could_pass_the_limit():
    meter = CostMeter(PriceTable(prices={"openai/m": Price(input=1e6, output=1e6)}), max_cost=80.0)  # a dollar a token
    held = meter.reserve("openai/m", ["x" * 20], [10])  # 20 + 16 + 10 tokens at most
    assert held == 46.0 and meter.remaining == 34.0
    with pytest.raises(CostLimitReached, match="could cost up to \\$46.0000 and \\$34.0000"):
        meter.reserve("openai/m", ["x" * 20], [10])
    meter.release(held)
    with pytest.raises(CostLimitReached):  # once stopped, a run stays stopped
        meter.reserve("openai/m", ["x"], [1])
    with pytest.raises(UserError, match="no price for openai/other"):
        CostMeter(max_cost=1.0).require_prices(["openai/other"])


def test_runner_stops_before_the_limit_on_the_stub_server_and_keeps_every_answer(tmp_path):
    prompts = [Prompt(text=f"question number {i}") for i in range(60)]
    sampling = SamplingParams(max_tokens=20)
    with StubServer() as stub:
        model = load_model(f"openai/stub?base_url={stub.base_url}&concurrency=4")
        meter = CostMeter(PriceTable(prices={"openai/stub": Price(**EXPENSIVE)}), max_cost=1.0)
        store = ResponseStore(tmp_path / "s.sqlite")
        with Runner(store, show_progress=False, cost=meter) as runner:
            with pytest.raises(CostLimitReached, match="stopped before the cost limit"):
                runner.run(model, requests_for(prompts, sampling))
        paid = meter.usage[model.identity].paid_queries
        assert 0 < paid < len(prompts)
        assert meter.spent <= 1.0
        assert len(stub.successes()) == paid  # the server saw exactly the paid queries
        assert len(store.get_many(model.request_key(r) for r in requests_for(prompts, sampling))) == paid  # all stored
        # a second run pays only for what is missing, and cached answers cost nothing
        again = CostMeter(PriceTable(prices={"openai/stub": Price(**EXPENSIVE)}))
        with Runner(store, show_progress=False, cost=again) as runner:
            result = runner.run(model, requests_for(prompts, sampling))
        assert result.complete
        assert again.usage[model.identity].cached_queries == paid
        assert again.usage[model.identity].paid_queries == len(prompts) - paid


def test_cli_sequential_with_max_cost_stops_before_the_limit_and_reports_the_cost(cli, tmp_path, monkeypatch):
    from distillscope.testing.hashing_embedder import HashingEmbedder

    monkeypatch.setattr("distillscope.metrics.embeddings.Embedder", lambda cache=None, **kw: HashingEmbedder(256))
    prices = tmp_path / "prices.yaml"
    prices.write_text("openai/teacher: {input: 100, output: 200}\nopenai/student: {input: 100, output: 200}\n")
    out = tmp_path / "seq.json"
    with StubServer() as stub:
        args = [
            "indist",
            "--sequential",
            "--teacher",
            f"openai/teacher?base_url={stub.base_url}",
            "--student",
            f"openai/student?base_url={stub.base_url}",
            "--max-queries",
            "200",
            "--batch",
            "10",
            "--max-tokens",
            "16",
            "--prices",
            prices,
            "--out",
            out,
            "--no-progress",
        ]
        code, stdout, _ = cli(*args, "--max-cost", "3.0")
        assert code == 0, stdout
        data = json.loads(out.read_text())
        result, cost = next(iter(data["students"].values()))["sequential"], data["cost"]
        assert result["stopped_by"] == "max_cost" and result["decision"] == "not shown distinguishable at this budget"
        assert "stopped before the cost limit" in stdout and "cost (USD)" in stdout
        assert 0 < cost["total"]["cost"] <= 3.0 and cost["max_cost"] == 3.0
        assert cost["total"]["paid_queries"] == 2 * result["pairs"] == len(stub.successes())
        assert result["queries"] == {
            f"openai/teacher?base_url={stub.base_url}": result["pairs"],
            f"openai/student?base_url={stub.base_url}": result["pairs"],
        }
        # with a larger budget the run goes on from the stored answers, paying only for new prompts
        code, _, _ = cli(*args, "--max-cost", "6.0")
        again = json.loads(out.read_text())
        assert again["cost"]["total"]["cached_queries"] == 2 * result["pairs"]
        assert next(iter(again["students"].values()))["sequential"]["pairs"] > result["pairs"] and again["cost"]["total"]["cost"] <= 6.0


def test_cli_fixed_n_with_max_cost_exits_with_one_line_and_an_unpriced_api_model_is_refused(cli, tmp_path):
    prices = tmp_path / "prices.yaml"
    prices.write_text("openai/teacher: {input: 1000, output: 2000}\nopenai/student: {input: 1000, output: 2000}\n")
    with StubServer() as stub:
        code, _, err = cli(
            "indist",
            "--teacher",
            f"openai/teacher?base_url={stub.base_url}",
            "--student",
            f"openai/student?base_url={stub.base_url}",
            "--adversaries",
            "style",
            "--n",
            "30",
            "--n-train",
            "30",
            "--max-tokens",
            "16",
            "--prices",
            prices,
            "--max-cost",
            "1.0",
            "--no-progress",
        )
        assert code == 2 and "stopped before the cost limit" in err and "Fix: raise --max-cost" in err
        assert 0 < len(stub.successes())
        code, _, err = cli(
            "indist",
            "--teacher",
            f"openai/teacher?base_url={stub.base_url}",
            "--student",
            "openai/unknown",
            "--prices",
            prices,
            "--max-cost",
            "1.0",
            "--no-progress",
        )
        assert code == 2 and "no price for openai/unknown" in err
