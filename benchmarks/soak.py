"""The fault soak (issue 29): >= 10,000 requests against a misbehaving loopback server, the CLI SIGKILLed and restarted.

`distillscope generate` runs as real processes on one store against a stub
server that injects 429s, 500s, connection resets, truncated JSON, slow
answers and dead periods; a second process shares the store part of the
time; one of them is killed with SIGKILL every few seconds and restarted,
until every prompt is answered. Printed: requests sent vs prompts, answers
lost (must be 0), answers paid twice (0 outside the requests in flight at a
kill; those counted), `PRAGMA integrity_check` after every kill, wall time.
The engine is `distillscope/testing/fault_soak.py`; the short version runs in
tests/test_soak.py.

    python benchmarks/soak.py [--prompts 8200] [--seed 0] [--concurrency 16] [--json report.json]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from distillscope.testing.fault_soak import SoakPlan, run_soak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=8200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.02, help="the server's time per answer (s)")
    parser.add_argument("--json", type=Path, default=None, help="also write the report here")
    args = parser.parse_args()
    # a process is killed only after it has had time to start up and send (on a busy 2-core machine, 2-4 s)
    plan = SoakPlan(
        prompts=args.prompts,
        seed=args.seed,
        concurrency=args.concurrency,
        latency_s=args.latency,
        kill_every_s=(4.0, 10.0),
        kill_after_start_s=6.0,
    )
    with tempfile.TemporaryDirectory(prefix="distillscope-soak-") as workdir:
        report = run_soak(plan, Path(workdir), log=lambda line: print(line, file=sys.stderr, flush=True))
    print(report.model_dump_json(indent=2))
    if args.json:
        args.json.write_text(report.model_dump_json(indent=2), encoding="utf-8")
    ok = report.answers_lost == 0 and report.paid_twice_otherwise == 0 and report.integrity_failures == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
