"""Calibration of the paired statistics (`make calibrate`): the table in docs/indistinguishability.md.

Simulated paired data with a per-prompt effect much larger than the model
effect (METHODS.md section 7), checked through the library over many datasets:
MMD false-positive rate and p-value uniformity under the null, power under a
moderate style shift, 95% advantage-interval coverage of a known advantage,
and the q-curve bootstrap's centring. Then one null and one shifted dataset
go through the CLI as replay models (`distillscope indist ... --adversaries
style,mmd`), with the default embedder. Exit status 1 if a check fails.

    python benchmarks/calibrate.py [--datasets 200] [--q-datasets 20] [--shift 1.0] [--no-cli]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def cli_run(directory: Path, shifted: bool) -> dict:
    from distillscope.calibration.replay import write_replay_dataset

    data = write_replay_dataset(directory / ("shifted" if shifted else "null"), prompts=160, samples=2, shifted=shifted)
    out = data / "indist.json"
    command = [
        sys.executable,
        "-m",
        "distillscope",
        "indist",
        "--teacher",
        f"replay/{data / 'teacher.jsonl'}",
        "--student",
        f"replay/{data / 'student.jsonl'}",
        "--suite",
        str(data / "suite.jsonl"),
        "--adversaries",
        "style,mmd",
        "--n",
        "80",
        "--n-train",
        "80",
        "--samples",
        "2",
        "--temperature",
        "0.7",
        "--store",
        str(data / "store.sqlite"),
        "-o",
        str(out),
        "--no-progress",
    ]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    results = json.loads(out.read_text(encoding="utf-8"))["results"]
    return {"p": results["mmd"]["test"]["p_value"], "style": results["learned"]["style"]["advantage"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=200)
    parser.add_argument("--q-datasets", type=int, default=20)
    parser.add_argument("--shift", type=float, default=1.0, help="style shift of the alternative (noise scale 1, topic scale 3)")
    parser.add_argument("--no-cli", action="store_true", help="skip the two CLI runs on replayed answers")
    args = parser.parse_args()
    from distillscope.calibration.checks import run_checks
    from distillscope.calibration.printed_checks import coverage_rows, statistics_rows

    start = time.perf_counter()
    rows = run_checks(datasets=args.datasets, q_datasets=args.q_datasets, shift=args.shift)
    rows += coverage_rows(datasets=args.datasets)
    rows += statistics_rows(datasets=args.datasets)
    print(f"{'check':66} {'value':>7}  {'target':<18} {'datasets':>8}  ok")
    for row in rows:
        print(f"{row.check:66} {row.value:7.3f}  {row.target:<18} {row.datasets:8d}  {'yes' if row.passed else 'NO'}")
    failed = [row for row in rows if not row.passed]
    if not args.no_cli:
        with tempfile.TemporaryDirectory() as tmp:
            for shifted in (False, True):
                got = cli_run(Path(tmp), shifted)
                style = got["style"]
                interval = f"[{style['low']:.3f}, {style['high']:.3f}]" if style.get("low") is not None else f"({style.get('status')})"
                print(
                    f"CLI, replay, {'half the student answers shifted' if shifted else 'null (same generator)'}: "
                    f"paired MMD p = {got['p']:.4f}, style advantage {style['mean']:.3f} {interval}"
                )
                if (got["p"] < 0.01) != shifted:
                    failed.append(f"CLI {'shifted' if shifted else 'null'} run: p = {got['p']:.4f}")
    print(f"{time.perf_counter() - start:.0f} s; {'all checks passed' if not failed else f'{len(failed)} check(s) failed'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
