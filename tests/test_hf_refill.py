"""Continuous refill in the transformers backend: the same greedy answers as batch_size=1, each with its own prompt.

Tiny random models built inside the test; random weights seldom choose the
end token, so some tests declare an extra end token (one the model does
choose) in the generation config, which `generate` and refill both stop at.
"""

import logging
import random

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from distillscope.models.registry import load_model  # noqa: E402
from distillscope.models.tiny_hf import SPECIALS, WORDS, make_tiny_causal_lm  # noqa: E402
from distillscope.types import GenerationRequest, Message, SamplingParams  # noqa: E402

REFILL_LOG = "continuous refill"


@pytest.fixture(scope="module")
def tiny_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    # large initial weights: confident, varied answers (the default makes every answer the unknown token, an empty text)
    return {
        "chat": make_tiny_causal_lm(root / "chat", chat=True, initializer_range=1.0),
        "base": make_tiny_causal_lm(root / "base", chat=False, initializer_range=1.0),
    }


@pytest.fixture(scope="module")
def tiny_gemma(tmp_path_factory):
    """A two-layer Gemma-3 (one sliding-window layer, one full) on the tiny vocabulary: the hybrid cache of the real Gemma-3."""
    import torch
    from transformers import AutoConfig, Gemma3ForCausalLM, Gemma3TextConfig

    def make(window: int):
        path = make_tiny_causal_lm(tmp_path_factory.mktemp(f"gemma{window}"), chat=True)  # its tokenizer files stay
        base = AutoConfig.from_pretrained(path)
        config = Gemma3TextConfig(
            vocab_size=base.vocab_size,
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            head_dim=8,
            sliding_window=window,
            layer_types=["sliding_attention", "full_attention"],
            max_position_embeddings=512,
            pad_token_id=base.pad_token_id,
            bos_token_id=base.bos_token_id,
            eos_token_id=base.eos_token_id,
        )
        torch.manual_seed(0)
        model = Gemma3ForCausalLM(config)
        with torch.no_grad():  # large weights and no unknown token (the template's markers are unknown): varied answers
            for name, weight in model.named_parameters():
                if "norm" in name:
                    weight.zero_()  # Gemma scales by 1 + weight
                else:
                    weight.normal_(0, 1.0)
            model.model.embed_tokens.weight[SPECIALS.index("<unk>")] = 0
        model.save_pretrained(path)
        return path

    return {"wide": make(128), "narrow": make(8)}


def _requests(n, seed=0, max_tokens=(1, 3, 8, 20), lengths=(1, 30)):
    rng = random.Random(seed)
    return [
        GenerationRequest(
            prompt_id=f"p{i}",
            messages=(Message(role="user", content=" ".join(rng.choice(WORDS) for _ in range(rng.randint(*lengths)))),),
            sampling=SamplingParams(max_tokens=rng.choice(max_tokens)),
        )
        for i in range(n)
    ]


def _load(directory, width, extra_end=None):
    model = load_model(f"hf/{directory}?batch_size={width}")
    model._load()
    if extra_end is not None:
        model._model.generation_config.eos_token_id = [model._tokenizer.eos_token_id, extra_end]
    return model


def _first_token(model, request):
    """The token the model chooses first for a prompt: declared an end token, that answer ends at once and others part-way."""
    import torch

    ids = torch.tensor([model._prompt_ids(request)])
    with torch.no_grad():
        return int(model._model(input_ids=ids).logits[0, -1].argmax())


@pytest.mark.parametrize("kind", ["chat", "base"])
def test_refill_answers_equal_batch_size_one(tiny_dirs, kind, caplog):
    requests = _requests(14)
    single = _load(tiny_dirs[kind], 1).generate_blocking(requests)
    with caplog.at_level(logging.DEBUG, logger="distillscope.models.hf"):
        batched = _load(tiny_dirs[kind], 4).generate_blocking(requests)
    assert REFILL_LOG in caplog.text  # refill ran, not the padded fallback
    assert batched == single  # text, finish reason, prompt and completion token counts
    assert len({c.text for c in single}) == len(single)  # varied answers, so a mix-up would show
    assert {1, 3, 8, 20} <= {c.completion_tokens for c in single}  # rows of every max_tokens shared the batch


def test_answers_ending_at_the_first_token_and_part_way(tiny_dirs):
    requests = _requests(16, seed=1, max_tokens=(20,))
    end = _first_token(_load(tiny_dirs["chat"], 1), requests[0])
    single = _load(tiny_dirs["chat"], 1, extra_end=end).generate_blocking(requests)
    assert _load(tiny_dirs["chat"], 3, extra_end=end).generate_blocking(requests) == single
    assert single[0].completion_tokens == 0 and single[0].finish_reason == "stop"  # never joins the batch
    ended = {c.completion_tokens for c in single if c.finish_reason == "stop"}
    assert len(ended) >= 3 and max(ended) < 20  # others end part-way, at different steps, freeing rows for the rest


def test_shuffled_order_keeps_each_answer_with_its_prompt(tiny_dirs):
    requests = _requests(12, seed=2)
    model = _load(tiny_dirs["base"], 3)
    first = {r.prompt_id: c for r, c in zip(requests, model.generate_blocking(requests))}
    shuffled = random.Random(5).sample(requests, len(requests))
    again = {r.prompt_id: c for r, c in zip(shuffled, model.generate_blocking(shuffled))}
    assert again == first
    assert len({c.text for c in first.values()}) > 6  # the answers differ, so a swap would show


def test_width_larger_than_the_requests(tiny_dirs):
    requests = _requests(3, seed=3)
    assert _load(tiny_dirs["chat"], 16).generate_blocking(requests) == _load(tiny_dirs["chat"], 1).generate_blocking(requests)


def test_hybrid_sliding_window_cache_refills_while_rows_fit_the_window(tiny_gemma, caplog):
    requests = _requests(10, seed=4, max_tokens=(4, 12))
    single = _load(tiny_gemma["wide"], 1).generate_blocking(requests)
    with caplog.at_level(logging.DEBUG, logger="distillscope.models.hf"):
        batched = _load(tiny_gemma["wide"], 4).generate_blocking(requests)
    assert REFILL_LOG in caplog.text and batched == single
    assert len({c.text for c in single}) > len(single) // 2


def test_rows_longer_than_the_window_fall_back_to_padded_generate(tiny_gemma, caplog):
    requests = _requests(6, seed=5, max_tokens=(6,))
    single = _load(tiny_gemma["narrow"], 1).generate_blocking(requests)
    with caplog.at_level(logging.DEBUG, logger="distillscope.models.hf"):
        batched = _load(tiny_gemma["narrow"], 4).generate_blocking(requests)
    assert REFILL_LOG not in caplog.text and "sliding window" in caplog.text
    assert batched == single


def test_a_logits_processor_in_the_generation_config_falls_back(tiny_dirs, caplog):
    requests = _requests(6, seed=6, max_tokens=(8,))
    models = [_load(tiny_dirs["chat"], width) for width in (1, 3)]
    for model in models:
        model._model.generation_config.repetition_penalty = 1.5  # greedy `generate` applies it; refill does not
    with caplog.at_level(logging.DEBUG, logger="distillscope.models.hf"):
        batched = models[1].generate_blocking(requests)
    assert "repetition_penalty" in caplog.text and REFILL_LOG not in caplog.text
    assert batched == models[0].generate_blocking(requests)


def test_padded_rows_see_exactly_their_own_tokens(tmp_path):
    """Logits, not just argmaxes: a small-weight model (near-uniform attention) would show any padding that leaks in."""
    import torch

    from distillscope.models.hf_refill import _Batch

    model = _load(make_tiny_causal_lm(tmp_path / "m", chat=True), 1)
    prompts = [[7, 8, 9], [10, 11, 12, 13, 14, 15, 16], [17, 18]]
    batch = _Batch(model._model)
    for job, prompt in enumerate(prompts[:2]):
        batch.join(*batch.prefill(job, prompt))
    fed = [[] for _ in prompts]
    for round_ in range(4):
        if round_ == 2:  # one row ends, a shorter prompt takes its place: re-aligned padding
            batch.drop([0])
            batch.join(*batch.prefill(2, prompts[2]))
        fed_now = dict(zip((row.job for row in batch.rows), batch.next_tokens))
        logits = batch.step()
        for row, row_logits in zip(batch.rows, logits):
            fed[row.job].append(fed_now[row.job])
            with torch.no_grad():
                alone = model._model(input_ids=torch.tensor([prompts[row.job] + fed[row.job]])).logits[0, -1]
            assert torch.allclose(row_logits, alone, atol=1e-5), (round_, row.job)
        batch.next_tokens = [int(t) for t in logits.argmax(dim=-1)]
