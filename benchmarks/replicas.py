"""Throughput of one model served by two replicas against one, at equal per-replica concurrency.

Starts two loopback stub servers in their own processes (as real servers
would be), each answering every request after a fixed latency (default
200 ms). Sends N requests (default 512) with `concurrency=C` (default 16)
first to one replica, then to both (`base_url=A,B`, C per replica), each into
a fresh store, and prints both throughputs and their ratio (goal >= 1.8x;
the ideal is 2x).

    python benchmarks/replicas.py [--requests 512] [--latency 0.2] [--concurrency 16]
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


def requests_per_s(store_path: Path, spec: str, prompts: list[Prompt]) -> float:
    with ResponseStore(store_path) as store, Runner(store, show_progress=False) as runner:
        started = time.perf_counter()
        result = runner.run(load_model(spec), requests_for(prompts, SamplingParams()))
        elapsed = time.perf_counter() - started
    assert result.complete and result.counts.generated == len(prompts), "every request must be generated"
    return len(prompts) / elapsed


def start_stub(latency: float) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([sys.executable, "-m", "distillscope.testing.stub_server", str(latency)], stdout=subprocess.PIPE, text=True)
    return process, process.stdout.readline().strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=512)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight per replica")
    args = parser.parse_args()
    prompts = [Prompt(text=f"replica benchmark prompt {i}") for i in range(args.requests)]
    stubs = [start_stub(args.latency) for _ in range(2)]
    try:
        (_, first), (_, second) = stubs
        with tempfile.TemporaryDirectory() as tmp:
            one = requests_per_s(Path(tmp) / "one.sqlite", f"openai/stub?base_url={first}&concurrency={args.concurrency}", prompts)
            two = requests_per_s(Path(tmp) / "two.sqlite", f"openai/stub?base_url={first},{second}&concurrency={args.concurrency}", prompts)
    finally:
        for process, _ in stubs:
            process.terminate()
            process.wait()
    ideal = args.concurrency / args.latency
    print(f"requests: {args.requests}, stub latency {args.latency * 1000:.0f} ms, concurrency {args.concurrency} per replica")
    print(f"1 replica:  {one:8.1f} requests/s (ideal {ideal:.0f})")
    print(f"2 replicas: {two:8.1f} requests/s (ideal {2 * ideal:.0f})")
    print(f"ratio: {two / one:.2f}x (goal >= 1.80x, ideal 2x)")


if __name__ == "__main__":
    main()
