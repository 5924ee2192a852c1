"""`distillscope demo` timed cold and fully cached (goal: the cached run at least 50x faster).

Cold means a fresh store and a fresh model directory, so the time includes
assembling the built-in models from their packages, loading them and every
generation, judgement and embedding. The cached run uses the same store and
must load no model. Both run as subprocesses, as a user would run them.

    python benchmarks/demo.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed_demo(env: dict, out_dir: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "distillscope", "demo", "--out-dir", str(out_dir), "--no-progress"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="keep the store, models and report here instead of a temporary directory")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="distillscope-demo-"))
    root.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DISTILLSCOPE_STORE": str(root / "store.sqlite"), "DISTILLSCOPE_MODEL_DIR": str(root / "models")}
    try:
        cold = timed_demo(env, root / "cold")
        cached = timed_demo(env, root / "cached")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    print(f"demo cold (fresh store and model assembly): {cold:8.1f} s  (goal: at most 10 minutes = 600 s, issue 25)")
    print(f"demo fully cached:                          {cached:8.1f} s")
    print(f"cold / cached = {cold / cached:.1f}x (goal >= 50)")


if __name__ == "__main__":
    main()
