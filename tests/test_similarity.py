"""Embedding, ROUGE-L and chrF similarity on realistic replayed answers."""

import numpy as np
import pytest

pytest.importorskip("sentence_transformers")

from distillscope.metrics.embeddings import EmbeddingCache, Embedder  # noqa: E402
from distillscope.metrics.lexical import chrf, rouge_l_f1  # noqa: E402
from distillscope.metrics.similarity import evaluate_similarity, pair_scores  # noqa: E402
from metric_data import load_pairs, rotated  # noqa: E402


@pytest.fixture(scope="module")
def embedder(tmp_path_factory):
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
