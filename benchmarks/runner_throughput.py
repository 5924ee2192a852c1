"""Runner throughput against a loopback stub with fixed latency.

Sends N requests (default 256) to the stub, whose every answer takes 200 ms,
first with concurrency 1, then with concurrency 32, and prints the speed-up
as a fraction of the ideal 32x (goal >= 0.8). Then re-runs the concurrent job
fully cached and prints the per-request overhead of serving from the store.
The stub runs in its own process, as a real server would, so its threads do
not share this process's interpreter lock with the client.

    python benchmarks/runner_throughput.py [--requests 256] [--latency 0.2]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from distillscope.models.registry import load_model
from distillscope.runner.answers import requests_for
from distillscope.runner.runner import Runner
from distillscope.runner.store import ResponseStore
from distillscope.types import Prompt, SamplingParams


def timed_run(store: ResponseStore, spec: str, prompts: list[Prompt]) -> tuple[float, int]:
    model = load_model(spec)
    started = time.perf_counter()
    result = Runner(store, show_progress=False).run(model, requests_for(prompts, SamplingParams()))
    elapsed = time.perf_counter() - started
    assert result.complete, "every request must complete"
    return elapsed, result.counts.cached


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=256)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    prompts = [Prompt(text=f"benchmark prompt {i}") for i in range(args.requests)]
    stub = subprocess.Popen(
        [sys.executable, "-m", "distillscope.testing.stub_server", str(args.latency)], stdout=subprocess.PIPE, text=True
    )
    try:
        base_url = stub.stdout.readline().strip()
        with tempfile.TemporaryDirectory() as tmp:
            serial_store = ResponseStore(Path(tmp) / "serial.sqlite")
            serial_s, _ = timed_run(serial_store, f"openai/stub?base_url={base_url}&concurrency=1", prompts)
            store = ResponseStore(Path(tmp) / "concurrent.sqlite")
            spec = f"openai/stub?base_url={base_url}&concurrency={args.concurrency}"
            concurrent_s, _ = timed_run(store, spec, prompts)
            cached_s, cached = timed_run(store, spec, prompts)
            assert cached == args.requests
    finally:
        stub.terminate()
        stub.wait()
    speedup = serial_s / concurrent_s
    print(f"requests: {args.requests}, stub latency {args.latency * 1000:.0f} ms")
    print(f"serial (concurrency 1):        {serial_s:8.2f} s")
    print(f"concurrency {args.concurrency}:                {concurrent_s:8.2f} s")
    print(f"speed-up: {speedup:.1f}x = {speedup / args.concurrency:.2f} of the ideal {args.concurrency}x (goal >= 0.80)")
    print(
        f"fully cached re-run: {cached_s:.3f} s = {cached_s / args.requests * 1000:.2f} ms per request "
        f"({concurrent_s / cached_s:.0f}x faster than generating)"
    )


if __name__ == "__main__":
    main()
