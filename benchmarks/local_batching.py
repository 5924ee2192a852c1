"""Batched local decoding on the built-ins: throughput, agreement with single-stream, prefix reuse, a busy machine.

In one run, for each built-in model:

- aggregate decode tok/s (generated tokens / wall seconds, prompts included)
  of single-stream decoding (`batch_size=1`, today's path) and of the batched
  engine at each width, and each width's ratio to single-stream;
- greedy agreement with single-stream: the share of answers identical, and
  for each answer that differs the first differing token's probability
  margin under single-stream decoding (top-1 minus top-2 probability, and
  whether the batched token was the runner-up): small margins mean
  floating-point order flipped a near tie, not a bug;
- the prefill rate (prompt tokens/s of one long prompt), the compute
  ceiling that batched decoding approaches;
- (also alone: --step-cost) the kernels' own ceiling: the cost of one
  decoding step carrying W sequences' next tokens against one, W 1-32, so
  W x t(1) / t(W) is the most any batching engine can gain with llama.cpp's
  CPU kernels on this machine;
- judge calls (the packaged RSE rubric) at the default width with and
  without prefix reuse, and single-stream, per call, with prefill tokens saved;
- (--loaded MODELS) built-in throughput with one competing CPU-bound process
  against idle, for the default settings (automatic threads, passive OpenMP
  waiting, default width) and for the old ones (all cores, OpenMP default
  waiting, single-stream), each in a fresh process.

The machine's load average is printed before and after: on a shared machine
every number is relative to what else ran, so ratios are measured against a
baseline in the same run. The transformers backend (`hf/`) is measured by
hf_batching.py, which imports this module's prompts.

    python benchmarks/local_batching.py [--quick] [--models smollm2-135m-instruct,...] [--widths 1,4,8] [--loaded MODEL,...] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from local_backend import PROMPTS as BASE_PROMPTS  # noqa: E402

from distillscope.models.llamacpp_threads import StepTuner, available_cores  # noqa: E402

#: the single-stream benchmark's prompts, and six more so a batch of 8 refills
PROMPTS = [
    *BASE_PROMPTS,
    "Who are you and who made you?",
    "Name three uses of a paperclip.",
    "What is photosynthesis?",
    "Give a recipe for a simple salad.",
    "Why is the sky blue?",
    "Translate 'good morning' into French and Spanish.",
]
MODELS = ["qwen2.5-coder-0.5b-instruct", "smollm2-135m-instruct", "gemma-3-270m"]


def load_avg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "?"


def requests(n: int, max_tokens: int, texts=PROMPTS):  # noqa: ANN001, ANN201
    from distillscope.types import GenerationRequest, Message, SamplingParams

    sampling = SamplingParams(max_tokens=max_tokens)
    return [
        GenerationRequest(prompt_id=f"p{i}", messages=(Message(role="user", content=texts[i % len(texts)]),), sampling=sampling)
        for i in range(n)
    ]


def single_stream(model, reqs) -> tuple[float, list]:  # noqa: ANN001
    started = time.perf_counter()
    out = [model._generate_one(r) for r in reqs]
    return time.perf_counter() - started, out


def text_of(model, result) -> str:  # noqa: ANN001
    """An engine result's text as the backend returns it (completion-mode answers are stripped)."""
    return result.text.strip() if model.mode == "completion" else result.text


def engine_run(model, jobs, width: int, reuse: bool = True) -> tuple[float, list, dict]:  # noqa: ANN001
    from distillscope.models import llamacpp_batch

    saved = llamacpp_batch.MIN_SHARED_PREFIX
    llamacpp_batch.MIN_SHARED_PREFIX = saved if reuse else 10**9
    # every core, each step on one thread or all as a fresh tuner finds faster (its exploration is part of the cost)
    engine = llamacpp_batch.BatchEngine(model.llama(), width, model.n_ctx, available_cores(), tuner=StepTuner())
    try:
        started = time.perf_counter()
        results = engine.run(jobs)
        seconds = time.perf_counter() - started
        return seconds, results, {"prefill_tokens": engine.prefill_tokens, "reused_tokens": engine.reused_tokens}
    finally:
        engine.close()
        llamacpp_batch.MIN_SHARED_PREFIX = saved


def first_difference_margin(llama, prompt: list[int], ref: list[int], other: list[int]) -> dict:  # noqa: ANN001
    """Single-stream probabilities at the first token where two greedy answers part."""
    import llama_cpp
    import numpy as np

    k = next((i for i, (a, b) in enumerate(zip(ref, other)) if a != b), min(len(ref), len(other)))
    llama.reset()
    llama.eval(prompt + ref[:k])
    n_vocab = llama_cpp.llama_vocab_n_tokens(llama._model.vocab)
    logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llama._ctx.ctx, -1), shape=(n_vocab,)).astype(np.float64)
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    top = np.argsort(-probs)[:2]
    batched_token = other[k] if k < len(other) else None
    return {
        "position": k,
        "p_top1": round(float(probs[top[0]]), 4),
        "p_top2": round(float(probs[top[1]]), 4),
        "margin": round(float(probs[top[0]] - probs[top[1]]), 4),
        "batched_took_runner_up": batched_token == int(top[1]),
    }


def prefill_rate(model, n_tokens: int = 384) -> float:  # noqa: ANN001
    import llama_cpp

    llama = model.llama()
    cores = available_cores()  # every core, fixed: not the automatic count of the moment
    llama_cpp.llama_set_n_threads(llama._ctx.ctx, cores, cores)
    text = " ".join(PROMPTS * 8)
    tokens = llama.tokenize(text.encode(), add_bos=True)[:n_tokens]
    llama.reset()
    started = time.perf_counter()
    llama.eval(tokens)
    return len(tokens) / (time.perf_counter() - started)


def step_cost(model, widths=(1, 2, 4, 8, 16, 32), steps: int = 30) -> dict:  # noqa: ANN001
    """The kernels' own ceiling: seconds of one llama_decode step carrying W sequences' next tokens, against one.

    A step's cost on a CPU grows with the tokens in it; batching can gain at most W x t(1) / t(W) over
    decoding one sequence with the same kernels, whatever the engine around them does. Measured
    steady-state: each sequence first holds a 20-token prompt, then `steps` steps decode one token each.
    """
    import llama_cpp

    from distillscope.models import llamacpp_batch

    llama = model.llama()
    tokens = llama.tokenize(" ".join(PROMPTS * 4).encode(), add_bos=True)
    engine = llamacpp_batch.BatchEngine(llama, max(widths), 256, available_cores())  # every core, fixed
    out: dict = {}
    try:
        for width in widths:
            for seq in range(width):
                llama_cpp.llama_memory_seq_rm(engine.mem, seq, -1, -1)
                for i in range(20):
                    engine._put(i, tokens[i], i, seq, False)
                engine.batch.n_tokens = 20
                llama_cpp.llama_decode(engine.ctx, engine.batch)
            started = 0.0
            for step in range(steps + 1):  # step 0 warms up, untimed
                for seq in range(width):
                    engine._put(seq, tokens[20 + step], 20 + step, seq, True)
                engine.batch.n_tokens = width
                llama_cpp.llama_decode(engine.ctx, engine.batch)
                started = started or time.perf_counter()
            out[width] = (time.perf_counter() - started) / steps
    finally:
        engine.close()
    one = out[widths[0]]
    return {
        "ms_per_step": {w: round(t * 1e3, 1) for w, t in out.items()},
        "kernel_ceiling_vs_one_sequence": {w: round(w * one / t, 2) for w, t in out.items()},
        "raw_tok_s_one_sequence": round(1 / one, 1),
    }


def judge_jobs(model, answers: list[str], n: int):  # noqa: ANN001, ANN201
    from distillscope.judges.judge import JUDGE_SAMPLING
    from distillscope.judges.templates import load_template
    from distillscope.models.llamacpp_jobs import capture_job
    from distillscope.types import GenerationRequest, Message

    template = load_template("rse")
    reqs = [
        GenerationRequest(
            prompt_id=f"j{i}",
            messages=(
                Message(
                    role="user",
                    content=template.render(
                        prompt=PROMPTS[i % len(PROMPTS)], reference=answers[i % len(answers)], candidate=answers[(i + 1) % len(answers)]
                    ),
                ),
            ),
            sampling=JUDGE_SAMPLING,
        )
        for i in range(n)
    ]
    return reqs, [capture_job(model.llama(), lambda m, r=r: model._call(m, r)) for r in reqs]


def judge_row(model, answers: list[str], calls: int) -> dict:
    """Judge calls sharing the template's prefix: batched with and without KV reuse, and single-stream."""
    from distillscope.models.llamacpp import DEFAULT_WIDTH

    judge_reqs, jjobs = judge_jobs(model, answers, calls)
    no_reuse, out_plain, _ = engine_run(model, jjobs, DEFAULT_WIDTH, reuse=False)
    reuse, out_reuse, stats = engine_run(model, jjobs, DEFAULT_WIDTH, reuse=True)
    one_seconds, out_one = single_stream(model, judge_reqs)
    return {
        "calls": len(jjobs),
        "prompt_tokens_mean": round(sum(len(j.tokens) for j in jjobs) / len(jjobs)),
        "s_per_call_single": round(one_seconds / len(jjobs), 3),
        "s_per_call_batched_no_reuse": round(no_reuse / len(jjobs), 3),
        "s_per_call_batched_reuse": round(reuse / len(jjobs), 3),
        "reuse_speedup_same_width": round(no_reuse / reuse, 2),
        "reuse_speedup_vs_single": round(one_seconds / reuse, 2),
        "prefill_tokens_saved": stats["reused_tokens"],
        "identical_reuse_vs_no_reuse": f"{sum(a.text == b.text for a, b in zip(out_reuse, out_plain))}/{len(jjobs)}",
        "identical_reuse_vs_single": f"{sum(text_of(model, a) == b.text for a, b in zip(out_reuse, out_one))}/{len(jjobs)}",
    }


def bench_model(name: str, args: argparse.Namespace) -> dict:
    from distillscope.models.llamacpp import DEFAULT_WIDTH
    from distillscope.models.llamacpp_jobs import capture_job
    from distillscope.models.registry import load_model

    model = load_model(f"builtin/{name}?batch_size=1")
    llama = model.llama()
    reqs = requests(args.prompts, args.max_tokens)
    jobs = [capture_job(llama, lambda m, r=r: model._call(m, r)) for r in reqs]
    row: dict = {"model": name, "threads": model.n_threads, "load_before": load_avg()}
    # the baseline is the best single stream, on every core or on one (a small model's single stream can be faster
    # on one thread); each on a fixed count, so neither depends on what the automatic count saw at that moment
    cores = available_cores()
    for label, count in (("all_threads", cores), ("one_thread", 1)):
        fixed = load_model(f"builtin/{name}?batch_size=1&n_threads={count}")
        seconds, single = single_stream(fixed, reqs)
        row[f"single_tok_s_{label}"] = round(sum(c.completion_tokens for c in single) / seconds, 2)
        del fixed
    row["single_tok_s"] = max(row["single_tok_s_all_threads"], row["single_tok_s_one_thread"])
    _, reference, _ = engine_run(model, jobs, 1)  # the engine at width 1: token ids of the single-stream answers
    row["engine_w1_equals_single"] = sum(text_of(model, r) == c.text for r, c in zip(reference, single)) / len(single)
    row["widths"] = {}
    for width in sorted(set(args.widths) | {DEFAULT_WIDTH}):
        seconds, results, _ = engine_run(model, jobs, width)
        generated = sum(r.completion_tokens for r in results)
        same = [text_of(model, r) == c.text for r, c in zip(results, single)]
        margins = [
            first_difference_margin(llama, job.tokens, ref.tokens, res.tokens)
            for job, ref, res, ok in zip(jobs, reference, results, same)
            if not ok and ref.tokens != res.tokens
        ]
        row["widths"][width] = {
            "tok_s": round(generated / seconds, 2),
            "vs_single": round(generated / seconds / row["single_tok_s"], 2),
            "identical": f"{sum(same)}/{len(same)}",
            "first_difference": margins,
        }
    row["step_cost"] = step_cost(model)
    row["prefill_tok_s"] = round(prefill_rate(model), 1)
    row["default_vs_prefill"] = round(row["widths"][DEFAULT_WIDTH]["tok_s"] / row["prefill_tok_s"], 2)
    # batched decoding cannot beat the prefill rate (the same arithmetic, no memory-bound slack): the most it can gain
    row["ceiling_vs_single"] = round(row["prefill_tok_s"] / row["single_tok_s"], 2)
    if args.judge_calls > 0:  # 0: decoding only
        row["judge"] = judge_row(model, [c.text for c in single], args.judge_calls)
    row["load_after"] = load_avg()
    return row


def probe(args: argparse.Namespace) -> None:
    """One throughput number in a fresh process (OpenMP's waiting policy is fixed when llama.cpp loads)."""
    import distillscope.models.llamacpp as llamacpp
    from distillscope.models.registry import load_model

    if args.probe_old:  # the old settings: all cores, OpenMP's own waiting, one sequence at a time
        for name in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT"):  # the parent's settings, inherited: libgomp's own instead
            os.environ.pop(name, None)
        llamacpp.prepare_openmp = lambda: None
        spec = f"builtin/{args.probe}?batch_size=1&n_threads={os.cpu_count()}"
    else:
        spec = f"builtin/{args.probe}"
    model = load_model(spec)
    reqs = requests(args.prompts, args.max_tokens)
    model.generate_blocking(reqs[:1])  # load and warm up
    started = time.perf_counter()
    out = model.generate_blocking(reqs)
    print(json.dumps({"tok_s": sum(c.completion_tokens for c in out) / (time.perf_counter() - started), "threads": model.n_threads}))


def loaded(name: str, args: argparse.Namespace) -> dict:
    def run(old: bool) -> dict:
        cmd = [sys.executable, __file__, "--probe", name, "--prompts", str(args.prompts), "--max-tokens", str(args.max_tokens)]
        done = subprocess.run(cmd + (["--probe-old"] if old else []), capture_output=True, text=True, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])

    row: dict = {"model": name, "load_before": load_avg()}
    for label, old in (("default", False), ("old_settings", True)):
        idle = run(old)
        hog = subprocess.Popen([sys.executable, "-c", "while 1: pass"])
        try:
            time.sleep(1.0)
            busy = run(old)
        finally:
            hog.kill()
            hog.wait()
        row[label] = {
            "idle_tok_s": round(idle["tok_s"], 2),
            "loaded_tok_s": round(busy["tok_s"], 2),
            "loaded_vs_idle": round(busy["tok_s"] / idle["tok_s"], 2),
            "threads_idle": idle["threads"],
            "threads_loaded": busy["threads"],
        }
    row["load_after"] = load_avg()
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--widths", default="1,4,8")
    parser.add_argument("--prompts", type=int, default=16)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--judge-calls", type=int, default=16)
    parser.add_argument("--quick", action="store_true", help="8 prompts of 32 tokens, 8 judge calls")
    parser.add_argument("--loaded", default="", help="models (comma-separated) also measured beside a competing CPU-bound process")
    parser.add_argument("--out", type=Path, help="write the numbers as JSON")
    parser.add_argument("--step-cost", action="store_true", help="only the kernels' ceiling: one decode step's cost at 1-32 sequences")
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    parser.add_argument("--probe-old", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.prompts, args.max_tokens, args.judge_calls = 8, 32, 8
    if args.probe:
        probe(args)
        return
    if args.step_cost:
        from distillscope.models.registry import load_model

        for name in args.models.split(","):
            model = load_model(f"builtin/{name}")
            row = {"model": name, "load": load_avg(), **step_cost(model), "prefill_tok_s": round(prefill_rate(model), 1)}
            print(json.dumps(row, indent=1), flush=True)
        return
    args.widths = [int(w) for w in args.widths.split(",")]
    report: dict = {"cores": os.cpu_count(), "load_start": load_avg(), "models": [], "loaded": []}
    print(f"load average at start: {report['load_start']}", flush=True)
    for name in args.models.split(","):
        row = bench_model(name, args)
        report["models"].append(row)
        print(json.dumps(row, indent=1), flush=True)
        if name in args.loaded.split(","):
            busy = loaded(name, args)
            report["loaded"].append(busy)
            print(json.dumps(busy, indent=1), flush=True)
    report["load_end"] = load_avg()
    print(f"load average at end: {report['load_end']}")
    if args.out:
        args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
