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
    from distillscope.models.tiny_hf import make_tiny_causal_lm

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

    request = GenerationRequest(
        prompt_id="p", messages=(Message(role="user", content="what is the ?"),), sampling=SamplingParams(max_tokens=6)
    )
    import asyncio

    assert asyncio.run(merged.generate([request]))[0].text is not None


def test_distill_command_end_to_end_on_a_tiny_student(cli, tmp_path, monkeypatch):
    pytest.importorskip("peft")
    from distillscope.models.tiny_hf import make_tiny_causal_lm

    monkeypatch.setattr(embeddings, "Embedder", lambda cache=None, **kw: HashingEmbedder())
    student = make_tiny_causal_lm(tmp_path / "tiny", chat=True)
    out = tmp_path / "distill"
    code, stdout, err = cli(
        "distill",
        "--teacher",
        "mock/teacher",
        "--student",
        f"hf/{student}",
        "--budget",
        "12",
        "--acquisition",
        "stratified",
        "--n",
        "10",
        "--max-tokens",
        "8",
        "--max-length",
        "96",
        "--n-train",
        "12",
        "-o",
        out,
        "--no-progress",
    )
    assert code == 0, err
    data = json.loads((out / "distill_results.json").read_text(encoding="utf-8"))
    result = data["results"]
    assert result["acquired"]["n"] == 12 and len(result["acquired"]["per_category"]) == 10
    assert {"before", "after"} <= set(result) and result["before"]["n"] == 10
    assert (out / "adapter").is_dir() and (out / "merged" / "config.json").exists()
    assert "cosine to teacher" in stdout and "Δ after − before" in stdout
    acquired = set(result["acquired"]["ids"])
    assert result["after"]["adversaries_trained_on"] == {"train_prompts": 12}  # never an acquired prompt (checked below)
    assert result["before"]["mmd"]["design"] == "paired" and result["after"]["mmd"]["power"]
    delta = result["differences"]["cosine"]
    before_cos, after_cos = result["before"]["per_prompt_cosine"], result["after"]["per_prompt_cosine"]
    expected = sum(after_cos[k] - before_cos[k] for k in after_cos) / len(after_cos)
    assert delta["mean"] == pytest.approx(expected) and delta["n"] == 10
    assert set(result["differences"]) == {"cosine", "advantage: style", "advantage: embed"}
    from distillscope.distill.run import DistillConfig, measurement_prompts

    pool, train, test = measurement_prompts(load_default_suite(), DistillConfig(teacher="t", student="s", n_test=10, n_train=12))
    assert len(train) == 12 and not ({p.id for p in train} & ({p.id for p in pool} | acquired))


def test_missing_training_extra_names_the_pip_command(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "peft", None)
    code, _, err = cli("distill", "--teacher", "mock/t", "--student", "builtin/gemma-3-270m", "--budget", "4", "--no-progress")
    assert code == 2 and "pip install 'distillscope[hf]'" in err


def test_sweep_refuses_unknown_strategies(cli):
    code, _, err = cli("distill", "sweep", "--teacher", "mock/t", "--student", "hf/x", "--strategies", "random,magic")
    assert code == 2 and "magic" in err


def test_sweep_measures_every_run_on_the_same_test_prompts_and_a_rerun_retrains_nothing(cli, tmp_path, monkeypatch):
    pytest.importorskip("peft")
    from distillscope.models.tiny_hf import make_tiny_causal_lm

    monkeypatch.setattr(embeddings, "Embedder", lambda cache=None, **kw: HashingEmbedder())
    student = make_tiny_causal_lm(tmp_path / "tiny", chat=True)
    out, store = tmp_path / "sweep", tmp_path / "store.sqlite"
    args = (
        "distill",
        "sweep",
        "--teacher",
        "mock/teacher",
        "--student",
        f"hf/{student}",
        "--budgets",
        "8,12",
        "--strategies",
        "random,stratified",
        "--seeds",
        "0,1",
        "--pool",
        "40",
        "--n-test",
        "8",
        "--max-tokens",
        "8",
        "--max-length",
        "96",
        "--n-train",
        "0",
        "-o",
        out,
        "--store",
        store,
        "--no-progress",
    )
    code, stdout, err = cli(*args)
    assert code == 0, err
    results = json.loads((out / "sweep_results.json").read_text(encoding="utf-8"))["results"]
    assert results["complete"] and len(results["runs"]) == 8
    assert [(r["budget"], r["strategy"], r["seeds"]) for r in results["table"]] == [
        (8, "random", [0, 1]),
        (8, "stratified", [0, 1]),
        (12, "random", [0, 1]),
        (12, "stratified", [0, 1]),
    ]
    pool = {p.id for p in load_default_suite().sample(40, "train", seed=0)}
    for run in results["runs"]:
        assert set(run["acquired"]["ids"]) <= pool and run["acquired"]["n"] == run["budget"]
        # every run is measured on the same test prompts as the shared "before"
        assert run["after"]["n"] == results["before"]["n"] == 8
        assert run["student_after"].endswith(f"?weights={run['training']['fingerprint']}")
    seeds = {r["seed"]: r["acquired"]["ids"] for r in results["runs"] if (r["budget"], r["strategy"]) == (12, "random")}
    assert seeds[0] != seeds[1]  # seeds vary the acquisition
    row = results["table"][0]["metrics"]
    assert row["cosine"]["mean"] == pytest.approx(sum(e["mean"] for e in row["cosine"]["per_seed"]) / 2)
    assert "style advantage" in stdout and "before distillation" in stdout
    assert all(d is not None and d["n"] == 8 for d in row["cosine"]["delta_per_seed"])  # paired Δ against the shared before

    code, _, err = cli(*args)  # a re-run finds every training finished and every answer stored
    assert code == 0, err
    again = json.loads((out / "sweep_results.json").read_text(encoding="utf-8"))["results"]
    assert [r["training"]["seconds"] for r in again["runs"]] == [r["training"]["seconds"] for r in results["runs"]]
    assert again["table"] == results["table"]


def test_retraining_into_the_same_directory_changes_the_merged_models_identity(tmp_path):
    pytest.importorskip("peft")
    from distillscope.distill.train import LoraSettings, train_lora
    from distillscope.models.tiny_hf import make_tiny_causal_lm

    source = make_tiny_causal_lm(tmp_path / "tiny", chat=False)
    settings = LoraSettings(epochs=1, batch_size=4, max_length=64)
    first = train_lora(source, None, "completion", tiny_examples(8), tmp_path / "run", settings)
    again = train_lora(source, None, "completion", tiny_examples(8), tmp_path / "run", settings)
    assert again == first  # finished training is not repeated
    other = train_lora(source, None, "completion", tiny_examples(12), tmp_path / "run", settings)
    assert other.fingerprint != first.fingerprint and other.examples == 12


def test_an_adapter_only_training_writes_no_merged_model_and_is_reused_only_where_its_adapter_serves(tmp_path):
    pytest.importorskip("peft")
    from distillscope.distill.train import LoraSettings, train_lora
    from distillscope.models.tiny_hf import make_tiny_causal_lm

    source = make_tiny_causal_lm(tmp_path / "tiny", chat=False)
    settings = LoraSettings(epochs=1, batch_size=4, max_length=64)
    adapter_only = train_lora(source, None, "completion", tiny_examples(8), tmp_path / "run", settings, merge=False)
    assert adapter_only.merged_dir == "" and not (tmp_path / "run" / "merged").exists()
    assert (tmp_path / "run" / "adapter" / "adapter_config.json").exists()
    assert train_lora(source, None, "completion", tiny_examples(8), tmp_path / "run", settings, merge=False) == adapter_only
    # a caller that serves the merged model gets one: the adapter-only training does not count as finished for it
    merged = train_lora(source, None, "completion", tiny_examples(8), tmp_path / "run", settings)
    assert merged.fingerprint == adapter_only.fingerprint and (tmp_path / "run" / "merged" / "config.json").exists()
    assert merged.seconds != adapter_only.seconds


@pytest.mark.parametrize("mode", ["completion", "chat"])
def test_only_a_finished_teacher_answer_is_taught_as_a_place_to_stop(tmp_path, mode):
    pytest.importorskip("transformers")
    from transformers import AutoTokenizer

    from distillscope.distill.train import encode_examples
    from distillscope.models.tiny_hf import make_tiny_causal_lm

    tokenizer = AutoTokenizer.from_pretrained(make_tiny_causal_lm(tmp_path / "tiny", chat=mode == "chat"))
    (done, cut), skipped = encode_examples(
        tokenizer, mode, [("what is two ?", "two is a number", True), ("what is two ?", "two is a number", False)], 96
    )
    assert skipped == 0

    def taught(example):
        return tokenizer.decode([t for t, label in zip(example["input_ids"], example["labels"]) if label != -100])

    assert taught(cut).split() == ["two", "is", "a", "number"]  # cut at max_tokens: the answer, no end marker
    if mode == "completion":  # a base model stops at the frame's next question, with no EOS after it
        assert taught(done).split()[:4] == ["two", "is", "a", "number"] and taught(done).split()[-1] == ":"  # "Question:"
        assert done["input_ids"][-1] != tokenizer.eos_token_id
    else:
        assert done["input_ids"][-1] == tokenizer.eos_token_id and "</s>" in taught(done)


def test_measure_trains_adversaries_on_train_prompts_and_differences_are_paired(tmp_path):
    from distillscope.distill.run import differences, measure
    from distillscope.workspace import Workspace

    suite = load_default_suite()
    embedder = HashingEmbedder()
    test, train = suite.sample(20, "test", seed=0), suite.sample(20, "train", seed=1)
    with Workspace(tmp_path / "s.sqlite", progress=False) as workspace:
        teacher, judge = workspace.model("mock/alpha"), workspace.model("mock/j?judge=pairwise")
        far = measure(workspace, embedder, teacher, workspace.model("mock/beta"), test, 16, 0, train, ("style", "embed"), judge)
        near = measure(workspace, embedder, teacher, teacher, test, 16, 0, train, ("style", "embed"), judge)
    assert far.adversaries_trained_on == {"train_prompts": 20} and far.mmd.design == "paired"
    assert {r.adversary for r in far.epsilon_table} == {"style", "embed", "judge", "class"}
    assert set(far.judge_per_prompt_scores) == {p.id for p in test}
    delta = differences(far, near, seed=0)
    assert set(delta) == {"cosine", "advantage: style", "advantage: embed", "advantage: judge"}
    assert delta["cosine"].mean > 0 and delta["cosine"].n == 20  # the teacher against itself is closer
    assert delta["advantage: judge"].mean < 0  # and harder to tell apart


def test_settings_are_checked_before_anything_loads_and_a_sweep_is_one_config_per_cell(tmp_path):
    from distillscope.app.distill import distill_config, sweep_configs

    for options, fragment in (
        ({"teacher": None}, "--teacher and --student"),
        ({"acquisition": "magic"}, "magic"),
        ({"adversaries": "style,vibes"}, "vibes"),
        ({"judge": "mock/j", "n_train": 0}, "--n-train 0"),
    ):
        settings = {"teacher": "mock/t", "student": "hf/x", **options}
        with pytest.raises(UserError, match=fragment):
            distill_config(settings.pop("teacher"), settings.pop("student"), **settings)
    config = distill_config("mock/t", "hf/x", rank=4, seed=3, adversaries="embed, style")
    assert config.adversaries == ["embed", "style"] and (config.lora.rank, config.lora.alpha, config.lora.seed) == (4, 8, 3)
    configs = sweep_configs("mock/t", "hf/x", "8,12", "random, stratified", "0,1", n_test=6)
    assert [(c.budget, c.acquisition, c.seed) for c in configs][:3] == [(8, "random", 0), (8, "random", 1), (8, "stratified", 0)]
    assert len(configs) == 8 and {c.n_test for c in configs} == {6}
    with pytest.raises(UserError, match="comma-separated integers"):
        sweep_configs("mock/t", "hf/x", "8,x", "random", "0")


def test_a_user_suite_without_splits_gives_disjoint_pool_adversary_and_test_prompts(tmp_path):
    from distillscope.distill.run import DistillConfig, measurement_prompts
    from distillscope.probes.suite import load_suite

    path = tmp_path / "suite.jsonl"
    path.write_text("".join(json.dumps({"text": f"question {i}", "category": "ab"[i % 2]}) + "\n" for i in range(60)), encoding="utf-8")
    config = DistillConfig(teacher="t", student="s", n_test=6, n_train=10, suite=str(path))
    pool, train, test = measurement_prompts(load_suite(config.suite), config)
    ids = [{p.id for p in part} for part in (pool, train, test)]
    assert (len(ids[1]), len(ids[2])) == (10, 6) and len(ids[0]) == 48 - 10
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])


def _tiny_in_memory(arch):
    import torch
    import transformers

    torch.manual_seed(0)
    shape = dict(vocab_size=97, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2)
    if arch == "gemma3":  # gemma's layout, with logit soft-capping switched on so that path is checked too
        config = transformers.Gemma3TextConfig(**shape, head_dim=8, final_logit_softcapping=3.0, pad_token_id=0)
        return transformers.Gemma3ForCausalLM(config)
    return transformers.LlamaForCausalLM(transformers.LlamaConfig(**shape, pad_token_id=0, tie_word_embeddings=True))


@pytest.mark.parametrize("arch", ["llama", "gemma3"])
def test_the_answer_only_loss_is_the_models_own_loss_and_gradient(arch):
    """The head applied to labelled positions only must give the same loss and LoRA gradients as the full forward."""
    torch = pytest.importorskip("torch")
    peft = pytest.importorskip("peft")
    from distillscope.distill.train import _batches, answer_loss

    model = peft.get_peft_model(
        _tiny_in_memory(arch), peft.LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=["q_proj", "v_proj"])
    )
    for name, parameter in model.named_parameters():  # LoRA's B starts at zero: give it weight so gradients reach A
        if "lora_B" in name:
            torch.nn.init.normal_(parameter, std=0.5)
    rng = np.random.default_rng(1)
    encoded = []
    for length, prompt in [(12, 5), (7, 3), (16, 9)]:  # ragged: padding and prompt positions carry no loss
        ids = [int(t) for t in rng.integers(1, 97, length)]
        encoded.append({"input_ids": ids, "labels": [-100] * prompt + ids[prompt:]})
    ids, labels, mask = next(_batches(torch, encoded, 3, 0))
    results = []
    for compute in (
        lambda: model(input_ids=ids, attention_mask=mask, labels=labels).loss,
        lambda: answer_loss(torch, model, ids, mask, labels),
    ):
        model.zero_grad()
        loss = compute()
        loss.backward()
        grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}
        results.append((float(loss.detach()), grads))
    (full, full_grads), (sliced, sliced_grads) = results
    assert sliced == pytest.approx(full, rel=1e-5)
    for name, grad in full_grads.items():
        assert torch.allclose(sliced_grads[name], grad, rtol=1e-4, atol=1e-6), name
    assert any(float(g.abs().sum()) > 0 for g in full_grads.values())


def test_a_student_given_as_a_gguf_with_a_lora_adapter_is_not_fine_tuned_as_its_base():
    """transformers would load the base alone: fine-tuning it would silently drop the adapter."""
    from distillscope.distill.run import hf_spec_of
    from distillscope.errors import UserError

    assert hf_spec_of("builtin/gemma-3-270m") == "hf/gemma-3-270m"
    with pytest.raises(UserError, match="LoRA adapter") as refused:
        hf_spec_of("builtin/gemma-3-270m?lora=student.gguf")
    assert "give its base" in refused.value.one_line()
