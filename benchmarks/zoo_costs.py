"""What a zoo build pays per student, the old way against the new, measured in one run on this machine.

Two costs decide whether a zoo fits a working session on 2 CPU cores
(docs/attribution.md, docs/dose.md):

- **a LoRA step** (stage 3): the model's own `model(labels=...)` loss, which
  applies the output head at every position, against `answer_loss`, which
  applies it to the answer tokens alone (the same loss; tests/test_distill.py);
- **a student's test answers** (stage 4): the merged model through
  transformers, batched as the zoo did (`batch_size=64`), against the base
  GGUF plus the student's adapter exported as a llama.cpp LoRA, batched by the
  llama.cpp engine (`zoo build --serve llamacpp`, the default now).

    python benchmarks/zoo_costs.py --model gemma-3-270m --steps 3 --prompts 100 --max-tokens 96

The adapter is random (std 0.02 on B, about what a short LoRA training gives):
speed does not depend on its values. Nothing is written to any store; answers
are generated directly by each backend. Times depend on the machine's load:
compare the two rows of one run, never across runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from pathlib import Path


def step_times(name: str, steps: int) -> dict[str, float]:
    """Median seconds of a LoRA step on a batch of 4 zoo-sized examples (≤ 160 tokens), each loss alternated."""
    import peft
    import torch
    import transformers

    from distillscope.distill.train import _batches, _target_modules, answer_loss, encode_examples
    from distillscope.models.hf import resolve_hf_source

    source, gguf_file = resolve_hf_source(name)
    tokenizer = transformers.AutoTokenizer.from_pretrained(source, gguf_file=gguf_file)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = transformers.AutoModelForCausalLM.from_pretrained(source, gguf_file=gguf_file, dtype=torch.float32)
    model = peft.get_peft_model(model, peft.LoraConfig(r=8, lora_alpha=16, target_modules=_target_modules(model), task_type="CAUSAL_LM"))
    words = "the model answers each question with a long and careful explanation of the steps it takes".split()
    examples = [(f"Question {i}: " + " ".join(words[: 8 + i]), " ".join((words * 12)[: 60 + 25 * i]), False) for i in range(4)]
    encoded, _ = encode_examples(tokenizer, "completion", examples, 160)
    ids, labels, mask = next(_batches(torch, encoded, 4, tokenizer.pad_token_id))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-6)
    model.train()
    losses = {
        "model(labels=...)": lambda: model(input_ids=ids, attention_mask=mask, labels=labels).loss,
        "answer_loss": lambda: answer_loss(torch, model, ids, mask, labels),
    }
    times: dict[str, list[float]] = {k: [] for k in losses}
    for step in range(steps + 1):
        for label, loss_of in losses.items():
            started = time.perf_counter()
            loss = loss_of()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if step:  # the first round warms up
                times[label].append(time.perf_counter() - started)
    return {k: statistics.median(v) for k, v in times.items()}


def serving_rates(name: str, n_prompts: int, max_tokens: int, folder: Path) -> dict[str, dict[str, float]]:
    """Tokens a second for `n_prompts` greedy answers: merged model in transformers against GGUF + LoRA in llama.cpp."""
    import peft
    import torch
    import transformers

    from distillscope.distill.gguf_lora import export_gguf_lora
    from distillscope.distill.train import _target_modules, save_merged
    from distillscope.models.builtin import ensure_builtin
    from distillscope.models.hf import resolve_hf_source
    from distillscope.models.registry import load_model
    from distillscope.probes.suite import load_default_suite
    from distillscope.runner.answers import requests_for
    from distillscope.types import SamplingParams

    source, gguf_file = resolve_hf_source(name)
    model = transformers.AutoModelForCausalLM.from_pretrained(source, gguf_file=gguf_file, dtype=torch.float32)
    torch.manual_seed(0)
    model = peft.get_peft_model(model, peft.LoraConfig(r=8, lora_alpha=16, target_modules=_target_modules(model), task_type="CAUSAL_LM"))
    with torch.no_grad():
        for parameter_name, parameter in model.named_parameters():
            if "lora_B" in parameter_name:
                parameter.normal_(0, 0.02)
    model.save_pretrained(folder / "adapter")
    tokenizer = transformers.AutoTokenizer.from_pretrained(source, gguf_file=gguf_file)
    save_merged(model, tokenizer, folder / "merged")
    adapter = export_gguf_lora(folder / "adapter", ensure_builtin(name), folder / "adapter.gguf")
    # a zoo's test set: ShareGPT prompts of every length and identity questions, drawn at random (the first N
    # ShareGPT prompts are short and even, which flatters transformers' padded batches)
    pool = [p for p in load_default_suite().split("test") if (p.source or "").startswith("sharegpt") or p.category == "identity"]
    prompts = random.Random(0).sample(pool, min(n_prompts, len(pool)))
    requests = requests_for(prompts, SamplingParams(max_tokens=max_tokens))
    mode = load_model(f"builtin/{name}").mode
    rates = {}
    for label, spec in [
        ("transformers, merged, batch 64", f"hf/{folder / 'merged'}?batch_size=64&mode={mode}"),
        ("llama.cpp, GGUF + LoRA, width 8", f"builtin/{name}?lora={adapter}"),
    ]:
        backend = load_model(spec)
        started = time.perf_counter()
        completions = asyncio.run(backend.generate(list(requests)))
        seconds = time.perf_counter() - started
        # counted with one tokenizer for both, from the texts (a backend's own count may be missing)
        tokens = sum(len(tokenizer(c.text or "", add_special_tokens=False)["input_ids"]) for c in completions)
        empty = sum(not (c.text or "").strip() for c in completions)
        rates[label] = {"seconds": round(seconds, 1), "tokens": tokens, "tok_per_s": round(tokens / seconds, 1), "empty_answers": empty}
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="gemma-3-270m", help="a built-in base")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--prompts", type=int, default=100)
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--only", choices=["step", "serve"], default=None)
    args = parser.parse_args()
    from distillscope.models.llamacpp_threads import prepare_openmp_for_training

    prepare_openmp_for_training()
    out: dict = {"model": args.model}
    if args.only in (None, "step"):
        steps = step_times(args.model, args.steps)
        out["lora_step_seconds"] = {k: round(v, 2) for k, v in steps.items()}
        out["lora_step_speedup"] = round(steps["model(labels=...)"] / steps["answer_loss"], 2)
        print(json.dumps(out, indent=1), flush=True)
    if args.only in (None, "serve"):
        with tempfile.TemporaryDirectory() as folder:
            rates = serving_rates(args.model, args.prompts, args.max_tokens, Path(folder))
        out["test_answers"] = rates
        print(json.dumps(rates, indent=1), flush=True)
        first, second = rates.values()
        out["test_answers_speedup"] = round(second["tok_per_s"] / first["tok_per_s"], 2)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
