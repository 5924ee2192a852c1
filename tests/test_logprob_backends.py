"""Logprob judging end to end: backends return token log-probabilities, the store keeps them, judges read them."""

import math
import sqlite3

import pytest
from metric_data import load_pairs, rotated

from distillscope.indist.pairwise import pairwise_judge
from distillscope.judges.judge import read_conflict, run_judge
from distillscope.judges.parsing import parse_conflict
from distillscope.metrics.rse import LOGPROB_MAX_TOKENS, evaluate_rse
from distillscope.models import mock_roles
from distillscope.models.mock import mock_tokens
from distillscope.models.registry import load_model
from distillscope.runner.runner import Runner
from distillscope.runner.store import ResponseStore
from distillscope.runner.store.readonly import ReadOnlyResponseStore
from distillscope.testing.stub_server import StubConfig, StubServer
from distillscope.types import GenerationRequest, Message, Prompt, Response, SamplingParams

RSE_JUDGE = "mock/judge?judge=rse"


@pytest.fixture(scope="module")
def pairs():
    prompts, texts = load_pairs()
    return prompts[:8], {name: answers[:8] for name, answers in texts.items()}


def _request(sampling: SamplingParams, sample_index: int = 0) -> GenerationRequest:
    return GenerationRequest(
        prompt_id="p1", messages=(Message(role="user", content="Why is the sky blue?"),), sampling=sampling, sample_index=sample_index
    )


# -- store keys and persistence -------------------------------------------------


def test_store_keys_made_before_top_logprobs_existed_are_unchanged():
    model = load_model("mock/key-check")
    # computed with the code before `top_logprobs` was added
    assert model.request_key(_request(SamplingParams())) == "6886e55114c0dc1d407690d83bd95baefad6aeca70016f331a6786fca7dd5afc"
    sampled = SamplingParams(temperature=0.7, seed=3, max_tokens=64)
    assert model.request_key(_request(sampled, 1)) == "f79e552db10ae380c4c163f418a3d13b188ef7da85ff4cdc132a20a6224dcfde"
    assert "top_logprobs" not in SamplingParams().key_fields()
    asking = SamplingParams(top_logprobs=5)
    assert asking.key_fields()["top_logprobs"] == 5
    assert model.request_key(_request(asking)) != model.request_key(_request(SamplingParams()))


def _response(key: str, **extra) -> Response:
    return Response(
        key=key, model="mock/x", prompt_id="p1", sample_index=0, text="<judge>1", created_at="2026-01-01T00:00:00.000+00:00", **extra
    )


def test_token_logprobs_round_trip_through_the_store(tmp_path):
    tokens, top = ["<", "judge", ">", "1"], [{"<": 0.0}, {"judge": -0.01}, {">": 0.0}, {"1": -0.2, "0": -1.7, " 1": -4.0}]
    with ResponseStore(tmp_path / "s.sqlite") as store:
        store.put(_response("k1", tokens=tokens, top_logprobs=top), _request(SamplingParams(top_logprobs=5)), "r")
        store.put(_response("k2"), _request(SamplingParams()), "r")
    with ResponseStore(tmp_path / "s.sqlite") as store:
        got = store.get_many(["k1", "k2"])
        exported = {r["key"]: r for r in store.iter_responses()}
    assert got["k1"].tokens == tokens and got["k1"].top_logprobs == top
    assert got["k2"].tokens is None and got["k2"].top_logprobs is None
    assert exported["k1"]["top_logprobs"] == top and "top_logprobs" not in exported["k2"]


OLD_SCHEMA = """
CREATE TABLE responses (key TEXT PRIMARY KEY, model TEXT NOT NULL, prompt_id TEXT NOT NULL, sample_index INTEGER NOT NULL,
    input_json TEXT NOT NULL, rendered_input TEXT NOT NULL, sampling_json TEXT NOT NULL, text TEXT NOT NULL, finish_reason TEXT,
    prompt_tokens INTEGER, completion_tokens INTEGER, latency_s REAL, created_at TEXT NOT NULL);
CREATE TABLE failures (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, model TEXT NOT NULL, prompt_id TEXT NOT NULL,
    sample_index INTEGER NOT NULL, error_type TEXT NOT NULL, message TEXT NOT NULL, attempts INTEGER NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES ('schema_version', '1');
INSERT INTO responses VALUES ('old', 'mock/x', 'p1', 0, '[]', 'r', '{}', 'an old answer', 'stop', 3, 4, 0.1, '2025-01-01');
"""


def _old_store(path):
    db = sqlite3.connect(path)
    db.executescript(OLD_SCHEMA)
    db.close()
    return path


def test_a_store_written_before_logprobs_opens_reads_and_takes_them(tmp_path):
    path = _old_store(tmp_path / "old.sqlite")
    with ReadOnlyResponseStore(path) as store:  # a read-only look never migrates, and still reads
        assert store.get("old").text == "an old answer" and store.stats().responses == 1
    with ResponseStore(path) as store:
        assert store.get("old").text == "an old answer" and store.get("old").top_logprobs is None
        store.put(_response("new", tokens=["1"], top_logprobs=[{"1": -0.1}]), _request(SamplingParams(top_logprobs=5)), "r")
        assert store.get("new").top_logprobs == [{"1": -0.1}]
        assert store.stats().responses == 2


# -- backends -------------------------------------------------------------------


def test_the_mock_gives_logprobs_only_when_asked_and_able(runner):
    able, unable = load_model(RSE_JUDGE + "&logprobs=1"), load_model(RSE_JUDGE)
    prompt = mock_judge_prompt("a b c", "a b c")
    asked = _judge_request(prompt, SamplingParams(max_tokens=8, top_logprobs=5))
    plain = _judge_request(prompt, SamplingParams(max_tokens=8))
    got = able.answer(asked)
    assert got.tokens == mock_tokens("<style>5</style><structure>5</structure>")[:8] and got.completion_tokens == 8
    assert got.text == "".join(got.tokens) and all(top[t] == 0.0 for t, top in zip(got.tokens, got.top_logprobs))
    assert able.answer(plain).top_logprobs is None and unable.answer(asked).top_logprobs is None


def mock_judge_prompt(reference: str, candidate: str) -> str:
    from distillscope.judges.templates import load_template

    return load_template("rse").render(prompt="q", reference=reference, candidate=candidate)


def _judge_request(text: str, sampling: SamplingParams) -> GenerationRequest:
    return GenerationRequest(prompt_id="j", messages=(Message(role="user", content=text),), sampling=sampling)


def _stub_judge(prompt: str) -> str:
    return mock_roles.mock_judge_answer([Message(role="user", content=prompt)], {})


@pytest.mark.parametrize("mode", ["chat", "completion"])
def test_openai_backend_reads_logprobs_from_the_stub_server(tmp_path, mode):
    with StubServer(StubConfig(reply=_stub_judge)) as stub:
        model = load_model(f"openai/stub?base_url={stub.base_url}&mode={mode}")
        with ResponseStore(tmp_path / "s.sqlite") as store:
            sampling = SamplingParams(max_tokens=LOGPROB_MAX_TOKENS, top_logprobs=5)
            response = (
                Runner(store, show_progress=False).run(model, [_judge_request(mock_judge_prompt("x y", "x y"), sampling)]).responses[0]
            )
            again = store.get(response.key)
    assert response.text == "<style>5</style><structure>5</structure><content>5" and len(response.tokens) == LOGPROB_MAX_TOKENS
    assert response.top_logprobs[3] == pytest.approx({"5": math.log(0.6), "4": math.log(0.4)})
    assert again.top_logprobs == response.top_logprobs and again.tokens == response.tokens


def test_llamacpp_asks_for_logits_and_reads_chat_logprobs(monkeypatch):
    from distillscope.models.llamacpp import LlamaCppModel
    from distillscope.models.spec import ModelSpec

    calls = []

    class FakeLlama:
        def create_chat_completion(self, **kwargs):
            calls.append(kwargs)
            content = [{"token": "1", "logprob": -0.1, "top_logprobs": [{"token": "1", "logprob": -0.1}, {"token": "0", "logprob": -2.4}]}]
            return {
                "choices": [
                    {
                        "message": {"content": "1"},
                        "finish_reason": "length",
                        "logprobs": {"content": content} if kwargs.get("logprobs") else None,
                    }
                ],
                "usage": {},
            }

    model = LlamaCppModel(ModelSpec.parse("llamacpp/fake.gguf?mode=chat"))
    wanted = []
    monkeypatch.setattr(model, "llama", lambda logits_all=False: wanted.append(logits_all) or FakeLlama())
    with_logprobs = model._generate_one(_judge_request("q", SamplingParams(max_tokens=2, top_logprobs=5)))
    without = model._generate_one(_judge_request("q", SamplingParams(max_tokens=2)))
    assert wanted == [True, False] and calls[0]["top_logprobs"] == 5 and "logprobs" not in calls[1]
    assert with_logprobs.top_logprobs == [{"1": -0.1, "0": -2.4}] and without.top_logprobs is None


def test_hf_top_logprobs_per_step():
    torch = pytest.importorskip("torch")
    from distillscope.models.hf import _top_logprobs

    class Tokenizer:
        def decode(self, ids):
            return {0: "<", 1: "4", 2: "3", 3: " 4"}[ids[0]]

    steps = [torch.tensor([[5.0, 0.0, 0.0, 0.0]]), torch.tensor([[0.0, 3.0, 2.0, 1.0]])]
    got = _top_logprobs(Tokenizer(), steps, 0, [0, 1], top_k=2)
    assert got["tokens"] == ["<", "4"]
    assert got["top_logprobs"][1]["4"] == pytest.approx(3.0 - math.log(math.exp(0) + math.exp(3) + math.exp(2) + math.exp(1)))
    assert set(got["top_logprobs"][1]) == {"4", "3"}


# -- judges -----------------------------------------------------------------------


def test_rse_in_logprob_mode_reads_the_same_scores_as_text_from_a_certain_judge(runner, pairs):
    prompts, texts = pairs
    text = evaluate_rse(runner, load_model(RSE_JUDGE), prompts, texts["qwen_greedy"], texts["smollm2_greedy"], swap_n=3)
    logprob = evaluate_rse(runner, load_model(RSE_JUDGE + "&logprobs=1"), prompts, texts["qwen_greedy"], texts["smollm2_greedy"], swap_n=3)
    assert text.modes == {"logprob": 0, "text": 8} and all(p.mode == "text" for p in text.pairs)
    assert logprob.modes == {"logprob": 8, "text": 0} and all(p.mode == "logprob" for p in logprob.pairs)
    assert [p.scores for p in logprob.pairs] == [p.scores for p in text.pairs]
    assert logprob.swap_control.n_scored == 3


def test_rse_in_logprob_mode_gives_expected_scores(runner, pairs):
    prompts, texts = pairs
    same = evaluate_rse(runner, load_model(RSE_JUDGE + "&logprobs=soft"), prompts, texts["qwen_greedy"], texts["qwen_greedy"], swap_n=0)
    shuffled = evaluate_rse(
        runner, load_model(RSE_JUDGE + "&logprobs=soft"), prompts, texts["qwen_greedy"], rotated(texts["qwen_greedy"]), swap_n=0
    )
    # identical answers: the judge writes 5, with 0.4 on 4 -> 4.6
    assert same.rse.mean == pytest.approx(4.6) and same.modes["logprob"] == 8
    assert shuffled.rse.mean < same.rse.mean and any(v != round(v) for p in shuffled.pairs for v in p.scores.values())


def test_text_mode_is_kept_when_asked_for(runner, pairs):
    prompts, texts = pairs
    judge = load_model(RSE_JUDGE + "&logprobs=soft")
    result = evaluate_rse(runner, judge, prompts, texts["qwen_greedy"], texts["qwen_greedy"], swap_n=0, mode="text")
    assert result.modes == {"logprob": 0, "text": 8} and result.rse.mean == 5.0


def test_a_judge_without_score_tokens_falls_back_to_text_and_is_reasked(runner, pairs):
    prompts, texts = pairs
    judge = load_model(RSE_JUDGE + "&logprobs=1&judge_garble=1")
    result = evaluate_rse(runner, judge, prompts[:3], texts["qwen_greedy"][:3], texts["qwen_t07"][:3], swap_n=0, mode="logprob")
    assert result.modes == {"logprob": 0, "text": 3} and result.n_scored == 3 and result.reasked == 3


def test_logprob_mode_on_a_backend_without_logprobs_reads_the_text(runner, pairs):
    prompts, texts = pairs
    result = evaluate_rse(
        runner, load_model(RSE_JUDGE), prompts[:3], texts["qwen_greedy"][:3], texts["qwen_greedy"][:3], swap_n=0, mode="logprob"
    )
    assert result.modes == {"logprob": 0, "text": 3} and result.rse.mean == 5.0


def test_rse_end_to_end_on_an_openai_compatible_server(tmp_path, pairs):
    prompts, texts = pairs
    with StubServer(StubConfig(reply=_stub_judge)) as stub, ResponseStore(tmp_path / "s.sqlite") as store:
        judge = load_model(f"openai/stub?base_url={stub.base_url}")
        result = evaluate_rse(Runner(store, show_progress=False), judge, prompts, texts["qwen_greedy"], texts["qwen_greedy"], swap_n=0)
        sent = len(stub.successes())
        cached = evaluate_rse(Runner(store, show_progress=False), judge, prompts, texts["qwen_greedy"], texts["qwen_greedy"], swap_n=0)
        assert len(stub.successes()) == sent == 8  # one short call per pair, then all from the store
    assert result.modes == {"logprob": 8, "text": 0} and result.rse.mean == pytest.approx(4.6)
    assert cached.rse.mean == result.rse.mean and cached.modes == result.modes


def test_a_server_that_ignores_logprobs_is_judged_by_its_text(tmp_path, pairs):
    prompts, texts = pairs
    with StubServer(StubConfig(reply=_stub_judge, logprobs=False)) as stub, ResponseStore(tmp_path / "s.sqlite") as store:
        judge = load_model(f"openai/stub?base_url={stub.base_url}")
        result = evaluate_rse(
            Runner(store, show_progress=False), judge, prompts[:4], texts["qwen_greedy"][:4], texts["qwen_greedy"][:4], swap_n=0
        )
    assert result.modes == {"logprob": 0, "text": 4} and result.rse.mean == 5.0


def _pairwise_inputs():
    prompts = [Prompt(text=f"question {i}", category="c") for i in range(6)]
    teacher = [f"teacher: answer {i} words" for i in range(6)]
    student = [f"student: answer {i} words" for i in range(6)]
    return prompts, teacher, student, [("example q", "teacher: an example")]


@pytest.mark.parametrize("logprobs", ["", "&logprobs=1", "&logprobs=soft"])
def test_pairwise_verdicts_agree_across_modes(runner, logprobs):
    result = pairwise_judge(runner, load_model("mock/pj?judge=pairwise" + logprobs), *_pairwise_inputs())
    assert result.consistent == 6 and result.advantage.mean == 1.0
    assert result.modes == ({"logprob": 0, "text": 12} if not logprobs else {"logprob": 12, "text": 0})


def test_a_position_biased_judge_abstains_in_logprob_mode_too(runner):
    prompts, teacher, _, examples = _pairwise_inputs()
    # both answers carry the teacher's tag: the mock always says A
    result = pairwise_judge(runner, load_model("mock/pj?judge=pairwise&logprobs=soft"), prompts, teacher, teacher, examples)
    assert result.consistent == 0 and result.modes["logprob"] == 12


def test_conflict_judge_reads_p_of_1(runner):
    judge = load_model("mock/ij?judge=auto&logprobs=soft")
    from distillscope.judges.templates import load_template

    template = load_template("ice_conflict")
    items = [
        (f"i{n}", template.render(facts=["made by Acme"], response=text))
        for n, text in enumerate(["I was made by OpenAI.", "I was made by Acme."])
    ]
    outcomes = run_judge(runner, judge, items, parse_conflict, "<judge>0</judge>", read_logprobs=read_conflict, logprob_max_tokens=5)
    assert [o.mode for o in outcomes] == ["logprob", "logprob"]
    assert [o.parsed[0] for o in outcomes] == [True, False] and "P(conflict) = 0.75" in outcomes[0].parsed[1]
