"""llama.cpp backend overhead: distillscope vs a direct llama-cpp-python call.

Both load the same built-in GGUF once (not timed), then answer the same
prompts greedily with the same sampling settings, in the same process. Prints
tokens/s of each and their ratio (goal >= 0.9). The backend run goes through
the full runner: keys, store writes, progress accounting.

    python benchmarks/local_backend.py [--model qwen2.5-coder-0.5b-instruct] [--prompts 8] [--max-tokens 96]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from distillscope.models.base import local_compute_executor
from distillscope.models.builtin import ensure_builtin
from distillscope.models.llamacpp import sampling_kwargs
from distillscope.models.registry import load_model
from distillscope.runner.answers import requests_for
from distillscope.runner.runner import Runner
from distillscope.runner.store import ResponseStore
from distillscope.types import Prompt, SamplingParams

PROMPTS = [
    "Explain what a hash table is.",
    "Write a haiku about autumn.",
    "What causes the seasons on Earth?",
    "Give three tips for writing unit tests.",
    "Summarise the plot of Romeo and Juliet.",
    "How does a binary search work?",
    "Why do we need sleep?",
    "Describe the water cycle.",
    "What is the difference between a list and a tuple in Python?",
    "Write a short motivational message for a student.",
]


def direct(llama, prompts: list[Prompt], sampling: SamplingParams) -> tuple[float, int]:
    """Plain llama-cpp-python calls, run on the same thread the backend uses (see below)."""
    return local_compute_executor().submit(_direct, llama, prompts, sampling).result()


def _direct(llama, prompts: list[Prompt], sampling: SamplingParams) -> tuple[float, int]:
    tokens = 0
    started = time.perf_counter()
    for request in requests_for(prompts, sampling):
        out = llama.create_chat_completion(messages=[m.model_dump() for m in request.messages], **sampling_kwargs(request))
        tokens += out["usage"]["completion_tokens"]
    return time.perf_counter() - started, tokens


def through_runner(model, prompts: list[Prompt], sampling: SamplingParams, store_path: Path) -> tuple[float, int]:
    with ResponseStore(store_path) as store:
        started = time.perf_counter()
        result = Runner(store, show_progress=False).run(model, requests_for(prompts, sampling))
        elapsed = time.perf_counter() - started
    assert result.complete and result.counts.generated == len(prompts)
    return elapsed, result.counts.completion_tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-coder-0.5b-instruct")
    parser.add_argument("--prompts", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=96)
    args = parser.parse_args()
    import llama_cpp

    prompts = [Prompt(text=t) for t in PROMPTS[: args.prompts]]
    sampling = SamplingParams(max_tokens=args.max_tokens)
    model = load_model(f"builtin/{args.model}?mode=chat")
    # Both models load and run on one thread: llama.cpp keeps an OpenMP thread team per
    # calling thread, and two teams spinning on 2 cores would slow whichever runs second.
    executor = local_compute_executor()
    executor.submit(model.llama).result()  # load outside the timing, as for the direct call
    reference = executor.submit(
        llama_cpp.Llama, model_path=str(ensure_builtin(args.model)), n_ctx=model.n_ctx, n_threads=model.n_threads, verbose=False
    ).result()
    with tempfile.TemporaryDirectory() as tmp:
        # alternate the order so neither side always runs on a warmer machine
        direct_a = direct(reference, prompts, sampling)
        ours_a = through_runner(model, prompts, sampling, Path(tmp) / "a.sqlite")
        ours_b = through_runner(model, prompts, sampling, Path(tmp) / "b.sqlite")
        direct_b = direct(reference, prompts, sampling)
    direct_tps = (direct_a[1] + direct_b[1]) / (direct_a[0] + direct_b[0])
    ours_tps = (ours_a[1] + ours_b[1]) / (ours_a[0] + ours_b[0])
    print(f"model builtin/{args.model}, {len(prompts)} prompts x 2 runs each, greedy, max_tokens {args.max_tokens}")
    print(f"direct llama-cpp-python: {direct_tps:6.1f} tok/s ({direct_a[1] + direct_b[1]} tokens)")
    print(f"distillscope backend:    {ours_tps:6.1f} tok/s ({ours_a[1] + ours_b[1]} tokens)")
    print(f"ratio: {ours_tps / direct_tps:.3f} (goal >= 0.90)")


if __name__ == "__main__":
    main()
