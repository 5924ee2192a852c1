"""Batched greedy decoding in the transformers backend: continuous refill against padded `generate` and batch_size=1.

The llama.cpp side is measured in local_batching.py; this is its `hf/` twin.
Each path runs in its own process (`--path`), so each stays short on a
shared machine and a slow one can be rerun alone; `--path compare` reads
the others' JSON and reports:

- aggregate tok/s (answer tokens / wall seconds, prompts included) of
  `single` (batch_size=1, one `generate` per request, today's path),
  `refill` (batch_size=W, continuous refill) and `padded` (batch_size=W with
  refill switched off: padded `generate` on length-sorted chunks of W);
- greedy agreement with `single`: answers identical, and for each refill
  answer that differs, the first differing token's single-stream probability
  margin (top-1 minus top-2; small: floating-point order flipped a near tie).

Prompts are local_batching.py's, every third one behind a long preamble, so
prompt lengths are mixed; answers end at their own stop strings.

    python benchmarks/hf_batching.py --spec hf/gemma-3-270m --path single --out DIR   (then refill, padded, compare)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from local_batching import PROMPTS, load_avg, requests  # noqa: E402

PREAMBLE = "Please answer carefully, in plain words, as you would to a curious friend who has time to read a full reply. " * 3


def texts(n: int) -> list[str]:
    return [(PREAMBLE + p) if i % 3 == 0 else p for i, p in enumerate((PROMPTS * 2)[:n])]


def load(args: argparse.Namespace, width: int):  # noqa: ANN201
    import torch

    from distillscope.models.registry import load_model

    torch.set_num_threads(args.threads)
    model = load_model(f"{args.spec}?batch_size={width}")
    model.generate_blocking(requests(1, 2))  # load and warm up
    return model


def run_path(args: argparse.Namespace) -> dict:
    from distillscope.models import hf_refill

    width = 1 if args.path == "single" else args.width
    model = load(args, width)
    if args.path == "padded":  # every model refuses refill: today's padded `generate`, on length-sorted chunks
        hf_refill.refill_blocker = lambda model, jobs: "switched off by the benchmark"
    recorded: list[list[int]] = []
    real_refill = hf_refill.greedy_refill

    def recording_refill(*a, **kw):  # noqa: ANN002, ANN003, ANN202 - keeps the refill answers' token ids
        recorded.extend(real_refill(*a, **kw))
        return recorded[-len(a[1]) :]

    hf_refill.greedy_refill = recording_refill
    reqs = requests(args.prompts, args.max_tokens, texts(args.prompts))
    load_before = load_avg()
    started = time.perf_counter()
    out = model.generate_blocking(reqs)
    seconds = time.perf_counter() - started
    tokens = sum(c.completion_tokens or 0 for c in out)
    return {
        "path": args.path,
        "width": width,
        "tok_s": round(tokens / seconds, 2),
        "seconds": round(seconds, 1),
        "tokens": tokens,
        "prompt_tokens": [c.prompt_tokens for c in out],
        "texts": [c.text for c in out],
        "token_ids": recorded,
        "load": [load_before, load_avg()],
    }


def margin(model, prompt: list[int], ref: list[int], other: list[int]) -> dict:  # noqa: ANN001
    """Single-stream probabilities at the first token where two greedy answers part."""
    import torch

    k = next((i for i, (a, b) in enumerate(zip(ref, other)) if a != b), min(len(ref), len(other)))
    with torch.no_grad():
        logits = model._model(input_ids=torch.tensor([prompt + ref[:k]])).logits[0, -1].double()
    probs = torch.softmax(logits, dim=-1)
    top = torch.topk(probs, 2)
    return {
        "position": k,
        "p_top1": round(float(top.values[0]), 4),
        "p_top2": round(float(top.values[1]), 4),
        "margin": round(float(top.values[0] - top.values[1]), 4),
        "batched_took_runner_up": k < len(other) and other[k] == int(top.indices[1]),
    }


def compare(args: argparse.Namespace) -> dict:
    from distillscope.models.hf_refill import RefillJob, greedy_refill

    runs = {p: json.loads((args.out / f"{p}.json").read_text()) for p in ("single", "refill", "padded")}
    single = runs["single"]
    report: dict = {"spec": args.spec, "threads": args.threads, "single_tok_s": single["tok_s"]}
    for path in ("refill", "padded"):
        same = [a == b for a, b in zip(runs[path]["texts"], single["texts"])]
        report[path] = {
            "tok_s": runs[path]["tok_s"],
            "vs_single": round(runs[path]["tok_s"] / single["tok_s"], 2),
            "identical": f"{sum(same)}/{len(same)}",
            "load": runs[path]["load"],
        }
    differing = [i for i, (a, b) in enumerate(zip(runs["refill"]["texts"], single["texts"])) if a != b]
    if differing:  # token ids of the differing answers: refill at width 1 (the single-stream computation) and at W
        model = load(args, args.width)
        reqs = requests(args.prompts, args.max_tokens, texts(args.prompts))
        jobs = [RefillJob(model._prompt_ids(reqs[i]), args.max_tokens) for i in differing]
        ref = greedy_refill(model._model, jobs, 1, model._answer_ended)
        wide = [runs["refill"]["token_ids"][i] for i in differing]
        report["refill"]["first_difference"] = [
            {"prompt": i, **margin(model, job.prompt, a, b)} for i, job, a, b in zip(differing, jobs, ref, wide) if a != b
        ]
        report["refill"]["width1_equals_single"] = all(
            model._completion(a, len(job.prompt)).text == single["texts"][i] for i, job, a in zip(differing, jobs, ref)
        )
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default="hf/gemma-3-270m")
    parser.add_argument("--path", choices=["single", "refill", "padded", "compare"], required=True)
    parser.add_argument("--width", type=int, default=8)
    parser.add_argument("--prompts", type=int, default=16)
    parser.add_argument("--max-tokens", type=int, default=24)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--out", type=Path, required=True, help="folder for each path's JSON")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.path == "compare":
        print(json.dumps(compare(args), indent=1))
        return
    result = run_path(args)
    (args.out / f"{args.path}.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k not in ("texts", "token_ids")}))


if __name__ == "__main__":
    main()
