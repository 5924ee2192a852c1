"""Indistinguishability throughput: adversaries (a) style, (b) embed and (e) MMD vs a direct encode.

Takes 2 x N distinct real ShareGPT answers (needs the `build` extra): the first N
play the teacher, the next N the student, each replayed through the runner
and store as a model. In one process it times:

1. a direct `SentenceTransformer.encode` of the same 2N texts (baseline);
2. distillscope: replay, embeddings (chunked, cached), the style and
   embedding adversaries (train 80% / test 20%, cross-validated logistic
   regression, q-curves, per-category), and the MMD test with its power curve
   (goal: at most 3x the direct encode).

    python benchmarks/indist.py [--pairs 5000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from similarity import direct_encode_seconds, sharegpt_answers, write_replay

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def run_distillscope(prompts, teacher_file: Path, student_file: Path, store_path: Path, n_train: int):  # noqa: ANN001, ANN201
    from distillscope.indist.evaluate import evaluate_indistinguishability
    from distillscope.metrics.embeddings import Embedder, EmbeddingCache
    from distillscope.models.registry import load_model
    from distillscope.records import Paired
    from distillscope.runner.answers import requests_for
    from distillscope.runner.runner import Runner
    from distillscope.runner.store import ResponseStore
    from distillscope.types import SamplingParams

    started = time.perf_counter()
    runner = Runner(ResponseStore(store_path), show_progress=False)
    requests = requests_for(prompts, SamplingParams())
    teacher = [r.text for r in runner.run(load_model(f"replay/{teacher_file}"), requests).responses]
    student = [r.text for r in runner.run(load_model(f"replay/{student_file}"), requests).responses]
    train = Paired(prompts=prompts[:n_train], teacher=teacher[:n_train], student=student[:n_train])
    test = Paired(prompts=prompts[n_train:], teacher=teacher[n_train:], student=student[n_train:])
    embedder = Embedder(cache=EmbeddingCache(store_path))
    result = evaluate_indistinguishability(train, test, ["style", "embed", "mmd"], embedder=embedder)
    return time.perf_counter() - started, result, embedder.encoded_texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5000)
    args = parser.parse_args()
    from distillscope.types import Prompt

    rows = sharegpt_answers(2 * args.pairs)
    if len(rows) < 2 * args.pairs:
        raise SystemExit(f"only {len(rows)} ShareGPT answers; use --pairs {len(rows) // 2}")
    prompts = [Prompt(text=q, category="code" if "```" in a else "prose") for q, a in rows[: args.pairs]]
    teacher = [a for _, a in rows[: args.pairs]]
    student = [a for _, a in rows[args.pairs :]]
    with tempfile.TemporaryDirectory() as tmp:
        teacher_file = write_replay(Path(tmp) / "teacher.jsonl", prompts, teacher)
        student_file = write_replay(Path(tmp) / "student.jsonl", prompts, student)
        direct_s = direct_encode_seconds(teacher + student)
        total_s, result, encoded = run_distillscope(prompts, teacher_file, student_file, Path(tmp) / "store.sqlite", int(0.8 * args.pairs))
    print(f"{args.pairs} x 2 answers ({len(set(teacher + student))} distinct), train {result.n_train} / test {result.n_test}")
    print(f"direct sentence-transformers encode: {direct_s:8.1f} s")
    print(f"distillscope style+embed+mmd:        {total_s:8.1f} s  ({encoded} texts encoded; model load included)")
    for name, adversary in result.learned.items():
        print(f"  {name}: advantage {adversary.advantage.fmt()}, t = {adversary.train_seconds + adversary.inference_seconds:.1f} s")
    print(f"  mmd: p = {result.mmd.test.p_value:.4f}, {result.mmd.seconds:.1f} s (embedding included)")
    print(f"distillscope / direct = {total_s / direct_s:.2f} (goal <= 3.0)")


if __name__ == "__main__":
    main()
