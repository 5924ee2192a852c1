"""A trained student served by llama.cpp: the exported LoRA adapter is the student transformers merges.

Slow (a built-in loaded twice in each backend). A random adapter large enough to change the
model's predictions is exported to GGUF; llama.cpp with it must predict what transformers
predicts from the merged weights, and llama.cpp without it must not. SmolLM2 is a llama
architecture, whose query and key rows the converter permutes, so a wrong row order fails here.
"""

import numpy as np
import pytest

pytestmark = pytest.mark.slow

NAME = "smollm2-135m-instruct"
PROMPTS = [
    "The capital of France is",
    "def add(a, b):\n    return",
    "One, two, three, four,",
    "My favourite colour is",
    "Hello, my name is",
    "The sum of 2 and 3 is",
]


def _random_adapter(name, out_dir, std):
    """A PEFT adapter on the built-in `name` whose B matrices are random (a fresh LoRA changes nothing)."""
    torch = pytest.importorskip("torch")
    peft = pytest.importorskip("peft")
    transformers = pytest.importorskip("transformers")
    from distillscope.distill.train import _target_modules
    from distillscope.models.hf import resolve_hf_source

    source, gguf_file = resolve_hf_source(name)
    tokenizer = transformers.AutoTokenizer.from_pretrained(source, gguf_file=gguf_file)
    model = transformers.AutoModelForCausalLM.from_pretrained(source, gguf_file=gguf_file, dtype=torch.float32)
    torch.manual_seed(0)
    model = peft.get_peft_model(model, peft.LoraConfig(r=4, lora_alpha=8, target_modules=_target_modules(model)))
    with torch.no_grad():
        for parameter_name, parameter in model.named_parameters():
            if "lora_B" in parameter_name:
                parameter.normal_(0, std)
    model.save_pretrained(out_dir)
    merged = model.merge_and_unload().eval()
    return tokenizer, merged


def _next_token_logits(llama, ids):
    import llama_cpp

    llama.reset()
    llama.eval(ids)
    return np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llama._ctx.ctx, -1), shape=(llama.n_vocab(),)).copy()


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """(tokenizer, merged student, base GGUF, exported adapter) for SmolLM2 with a random adapter."""
    pytest.importorskip("llama_cpp")
    from distillscope.distill.gguf_lora import export_gguf_lora
    from distillscope.models.builtin import builtin_status, ensure_builtin

    if builtin_status(NAME) != "ready":
        pytest.skip(f"the {NAME} built-in is not installed")
    folder = tmp_path_factory.mktemp("lora")
    # std 0.2 moves SmolLM2's next-token logits to a correlation of about 0.92 with its base's
    tokenizer, merged = _random_adapter(NAME, folder / "adapter", std=0.2)
    base_gguf = ensure_builtin(NAME)
    return tokenizer, merged, base_gguf, export_gguf_lora(folder / "adapter", base_gguf, folder / "adapter.gguf")


def test_llama_cpp_with_the_exported_adapter_predicts_what_the_merged_student_does(exported):
    import llama_cpp
    import torch

    tokenizer, merged, base_gguf, adapter = exported
    with_lora = llama_cpp.Llama(model_path=str(base_gguf), lora_path=str(adapter), n_ctx=256, verbose=False)
    without = llama_cpp.Llama(model_path=str(base_gguf), n_ctx=256, verbose=False)
    decided, agree_with, correlation_with, correlation_without = 0, 0, [], []
    for prompt in PROMPTS:
        ids = tokenizer(prompt)["input_ids"]
        with torch.no_grad():
            reference = merged(torch.tensor([ids])).logits[0, -1].numpy()
        served, base = _next_token_logits(with_lora, ids), _next_token_logits(without, ids)
        runner_up, best = np.sort(reference)[-2:]
        if best - runner_up > 0.5:  # a near tie may flip between fp32 and llama.cpp's quantised kernels
            decided += 1
            agree_with += int(served.argmax() == reference.argmax())
        correlation_with.append(np.corrcoef(served, reference)[0, 1])
        correlation_without.append(np.corrcoef(base, reference)[0, 1])
    # measured: 0.9992-0.9995 with the adapter; 0.975-0.993 with the query/key rows left unpermuted; 0.91-0.95 without it
    assert min(correlation_with) > 0.998
    assert max(correlation_without) < 0.97
    assert decided >= 3 and agree_with == decided


def test_the_batched_engine_serves_the_adapter_and_the_store_key_names_it(exported, tmp_path):
    """The engine's own context gets the adapter too; the adapter's path and file are in the store key."""
    import os
    import shutil

    from distillscope.models.registry import load_model
    from distillscope.types import GenerationRequest, Message, SamplingParams

    _, _, _, adapter = exported
    requests = [
        GenerationRequest(prompt_id=f"p{i}", messages=(Message(role="user", content=text),), sampling=SamplingParams(max_tokens=8))
        for i, text in enumerate(PROMPTS)
    ]
    spec = f"builtin/{NAME}?lora={adapter}"
    single = [c.text for c in load_model(f"{spec}&batch_size=1").generate_blocking(requests)]
    batched = [c.text for c in load_model(f"{spec}&batch_size=3").generate_blocking(requests)]
    base = [c.text for c in load_model(f"builtin/{NAME}?batch_size=3").generate_blocking(requests)]
    assert batched == single  # SmolLM2's batched answers equal single-stream ones (tests/test_local_batching.py)
    assert sum(a != b for a, b in zip(batched, base)) >= 2
    student = load_model(spec)
    key = student.request_key(requests[0])
    assert key != load_model(f"builtin/{NAME}").request_key(requests[0])
    copy = tmp_path / "adapter.gguf"
    shutil.copy(adapter, copy)
    os.utime(copy, ns=(1, 1))  # another file (another mtime) at another path: both change the key
    assert load_model(f"builtin/{NAME}?lora={copy}").request_key(requests[0]) != key
    assert load_model(f"{spec}&batch_size=5").request_key(requests[0]) == key  # the width stays operational


def _tiny_adapter(path, architecture):
    """A well-formed llama.cpp LoRA adapter for one 8 x 8 query matrix of an `architecture` model."""
    import gguf

    writer = gguf.GGUFWriter(str(path), architecture)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", 8.0)
    writer.add_tensor("blk.0.attn_q.weight.lora_a", np.zeros((4, 8), dtype=np.float32))
    writer.add_tensor("blk.0.attn_q.weight.lora_b", np.zeros((8, 4), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_a_file_that_is_no_adapter_of_this_base_fails_in_one_line(exported, tmp_path):
    from distillscope.errors import ModelFileError, UserError
    from distillscope.models.registry import load_model
    from distillscope.types import GenerationRequest, Message, SamplingParams

    _, _, base_gguf, _ = exported
    request = GenerationRequest(prompt_id="p", messages=(Message(role="user", content="Hi"),), sampling=SamplingParams(max_tokens=2))
    # a model file given as the adapter: llama.cpp takes it and crashes the process while decoding, so it is refused first
    with pytest.raises(ModelFileError, match="not a llama.cpp LoRA adapter") as not_an_adapter:
        load_model(f"builtin/{NAME}?lora={base_gguf}").generate_blocking([request])
    assert "give an adapter GGUF" in not_an_adapter.value.one_line() and "\n" not in not_an_adapter.value.one_line()
    # an adapter for another architecture (gemma's layout written for a llama base)
    other = _tiny_adapter(tmp_path / "other.gguf", "gemma3")
    with pytest.raises(ModelFileError, match="for a gemma3 model"):
        load_model(f"builtin/{NAME}?lora={other}").generate_blocking([request])
    # an adapter of this architecture whose matrices do not fit this base (another model size): llama.cpp loads it
    # without complaint and crashes the process at its first graph, so it is refused before
    misfit = _tiny_adapter(tmp_path / "misfit.gguf", "llama")
    with pytest.raises(ModelFileError, match="does not fit") as misfit_error:
        load_model(f"builtin/{NAME}?lora={misfit}").generate_blocking([request])
    assert "blk.0.attn_q.weight" in misfit_error.value.one_line()
    with pytest.raises(UserError, match="does not exist"):
        load_model(f"builtin/{NAME}?lora={tmp_path / 'missing.gguf'}").request_key(request)
