"""LoRA step time under each OpenMP wait policy, in fresh processes, alternated so each policy sees the same load.

Why: torch and llama.cpp load the same `libgomp.so.1` into one process (the
loader shares a library by its soname), and libgomp reads its wait policy
once, when the first of them loads it. The llama.cpp backend sets
`OMP_WAIT_POLICY=PASSIVE` (threads sleep at once in a barrier), which keeps
its decoding standing on a busy machine (docs/design.md); a zoo build or
`distill` then trains with torch in the same process under that policy.
This measures what that costs a training step:

    python benchmarks/omp_wait_policy.py --steps 3 --rounds 2

Each (policy, round) is a fresh `python` that imports torch under that
environment and trains gemma-3-270m (the hf extra and the Gemma package) on
synthetic examples for `--steps` steps; the first step (warm-up) is left out.
Times depend on what else runs on the machine; compare policies within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

POLICIES = {
    "PASSIVE": {"OMP_WAIT_POLICY": "PASSIVE"},
    "PASSIVE spin 10k": {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "10000"},
    "ACTIVE": {"OMP_WAIT_POLICY": "ACTIVE"},
    "libgomp default": {},
}

CHILD = r"""
import json, sys, time, tempfile
from pathlib import Path
import torch
from distillscope.distill.train import LoraSettings, train_lora
from distillscope.models.hf import resolve_hf_source
steps, threads = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(threads)
source, gguf = resolve_hf_source("gemma-3-270m")
words = "the model answers every question with a short list of careful points and a summary".split()
examples = [(f"Question {i}: " + " ".join(words[i % 7:]), " ".join((words * 4)[i % 5: i % 5 + 40])) for i in range(4 * (steps + 1))]
times = []
last = [time.perf_counter()]
def on_step(step, total, loss):
    now = time.perf_counter(); times.append(now - last[0]); last[0] = now
with tempfile.TemporaryDirectory() as out:
    start = time.perf_counter()
    train_lora(source, gguf, "completion", examples, Path(out), LoraSettings(epochs=1, batch_size=4, max_length=160), on_step=on_step, max_steps=steps)
print(json.dumps({"step_s": times[1:], "policy_env": {k: v for k, v in __import__("os").environ.items() if k.startswith(("OMP_", "GOMP_"))}}))
"""


def run_child(policy: dict[str, str], steps: int, threads: int) -> list[float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_WAIT_POLICY", "GOMP_SPINCOUNT"))}
    env.update(policy)
    env["OMP_NUM_THREADS"] = str(threads)
    with tempfile.TemporaryDirectory():
        done = subprocess.run([sys.executable, "-c", CHILD, str(steps), str(threads)], env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"child failed ({policy}): {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])["step_s"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--busy", action="store_true", help="one competing CPU-bound process beside the training")
    parser.add_argument("--only", default="", help="comma-separated policy names (default: all)")
    args = parser.parse_args()
    if args.only:
        for name in set(POLICIES) - set(args.only.split(",")):
            del POLICIES[name]
    seen: dict[str, list[float]] = {name: [] for name in POLICIES}
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if args.busy else None
    try:
        rounds(args, seen)
    finally:
        if spinner:
            spinner.kill()
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    print(f"{'with one competing process' if args.busy else 'idle'}; load average at the end: {' '.join(load)}")
    for name, times in seen.items():
        print(f"{name:16s} median {statistics.median(times):6.1f} s/step over {len(times)} steps")


def rounds(args: argparse.Namespace, seen: dict[str, list[float]]) -> None:
    for r in range(args.rounds):
        for name, policy in POLICIES.items():
            times = run_child(policy, args.steps + 1, args.threads)
            seen[name] += times
            print(f"round {r + 1} {name:16s} s/step {[round(t, 1) for t in times]}", flush=True)


if __name__ == "__main__":
    main()
