"""LoRA distillation: acquisition within budget, a tiny model that learns, resume, and the command end to end."""

import json
import sys
from collections import Counter

import numpy as np
import pytest

import distillscope.metrics.embeddings as embeddings
from distillscope.distill.acquisition import acquire, disagreement_acquisition, stratified_acquisition
from distillscope.errors import UserError
from distillscope.probes.suite import load_default_suite
from distillscope.testing.hashing_embedder import HashingEmbedder


@pytest.fixture(scope="module")
def pool():
    return load_default_suite().split("train")


@pytest.mark.parametrize("strategy", ["random", "stratified"])
@pytest.mark.parametrize("budget", [1, 37, 100])
def test_strategies_spend_exactly_the_budget_on_distinct_prompts(pool, strategy, budget):
    chosen = acquire(strategy, pool, budget, seed=3)
    assert len(chosen) == budget == len({p.id for p in chosen})
    assert all(p.split == "train" for p in chosen)


def test_stratified_takes_equal_shares_per_category(pool):
    counts = Counter(p.category for p in stratified_acquisition(pool, 100, seed=0))
    assert set(counts.values()) == {10}
    uneven = Counter(p.category for p in stratified_acquisition(pool, 37, seed=0))
    assert max(uneven.values()) - min(uneven.values()) <= 1 and len(uneven) == 10


def test_stratified_gives_a_small_categorys_share_to_the_others(pool):
    small = [p for p in pool if p.category == "math"][:2] + [p for p in pool if p.category != "math"]
    counts = Counter(p.category for p in stratified_acquisition(small, 50, seed=0))
    assert counts["math"] == 2 and sum(counts.values()) == 50


def test_budget_beyond_the_pool_is_refused(pool):
    with pytest.raises(UserError, match="exceeds"):
        acquire("random", pool[:5], 6)


def test_disagreement_rounds_move_the_budget_to_where_the_student_differs(pool):
    categories = sorted({p.category for p in pool})
    measure = lambda prompts: np.array([1.0 if p.category == "math" else 0.0 for p in prompts])  # noqa: E731
    lookup = {p.text: p.category for p in pool}
    embed = lambda texts: np.eye(len(categories))[[categories.index(lookup[t]) for t in texts]]  # noqa: E731
    chosen, scores = disagreement_acquisition(pool, 60, measure, embed, rounds=3, seed=0)
    assert len(chosen) == 60 == len({p.id for p in chosen}) and len(scores) == 60
    pilot, later = chosen[:20], chosen[20:]
    assert Counter(p.category for p in pilot)["math"] == 2  # the pilot is stratified
    assert all(p.category == "math" for p in later)  # the rounds after it buy where disagreement was seen


def tiny_examples(n=24):
    rng = np.random.default_rng(0)
    words = "the model answer is one two three because so".split()
    return [(f"what is {w} ?", "the answer is " + " ".join(rng.choice(words, 4))) for w in rng.choice(words, n)]


def test_a_tiny_model_learns_and_a_killed_run_resumes_from_its_checkpoint(tmp_path):
    pytest.importorskip("peft")
    from distillscope.distill.train import LoraSettings, train_lora
    from distillscope.models.registry import load_model
    from distillscope.testing.tiny_hf import make_tiny_causal_lm

    source = make_tiny_causal_lm(tmp_path / "tiny", chat=False, initializer_range=1.0)
    settings = LoraSettings(epochs=6, batch_size=4, learning_rate=1e-2, save_every=3, max_length=64, rank=8, alpha=16)
    examples = tiny_examples()
    killed = train_lora(source, None, "completion", examples, tmp_path / "run", settings, max_steps=7)
    assert killed.steps == 7
    report = train_lora(source, None, "completion", examples, tmp_path / "run", settings)
    assert report.resumed_from_step == 6  # the last checkpoint before the kill
    assert report.steps == 6 * 6 and len(report.losses) == report.steps
    assert np.mean(report.losses[-6:]) < np.mean(report.losses[:6]) * 0.8  # the loss fell
    merged = load_model(f"hf/{report.merged_dir}")
    assert merged.mode == "completion"
    from distillscope.types import GenerationRequest, Message, SamplingParams

    request = GenerationRequest(prompt_id="p", messages=(Message(role="user", content="what is the ?"),),
                                sampling=SamplingParams(max_tokens=6))
    import asyncio

    assert asyncio.run(merged.generate([request]))[0].text is not None


def test_distill_command_end_to_end_on_a_tiny_student(cli, tmp_path, monkeypatch):
    pytest.importorskip("peft")
    from distillscope.testing.tiny_hf import make_tiny_causal_lm

    monkeypatch.setattr(embeddings, "Embedder", lambda cache=None, **kw: HashingEmbedder())
    student = make_tiny_causal_lm(tmp_path / "tiny", chat=True)
    out = tmp_path / "distill"
    code, stdout, err = cli("distill", "--teacher", "mock/teacher", "--student", f"hf/{student}", "--budget", "12",
                            "--acquisition", "stratified", "--n-test", "10", "--max-tokens", "8", "--max-length", "96",
                            "-o", out, "--no-progress")
    assert code == 0, err
    data = json.loads((out / "distill_results.json").read_text(encoding="utf-8"))
    result = data["results"]
    assert result["acquired"]["n"] == 12 and len(result["acquired"]["per_category"]) == 10
    assert {"before", "after"} <= set(result) and result["before"]["n"] == 10
    assert (out / "adapter").is_dir() and (out / "merged" / "config.json").exists()
    assert "cosine to teacher" in stdout


def test_missing_training_extra_names_the_pip_command(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "peft", None)
    code, _, err = cli("distill", "--teacher", "mock/t", "--student", "builtin/gemma-3-270m", "--budget", "4", "--no-progress")
    assert code == 2 and "pip install 'distillscope[hf]'" in err


def test_sweep_refuses_unknown_strategies(cli):
    code, _, err = cli("distill", "sweep", "--teacher", "mock/t", "--student", "hf/x", "--strategies", "random,magic")
    assert code == 2 and "magic" in err
