"""Similarity throughput: distillscope vs a direct sentence-transformers encode.

Takes 5,000 real assistant answers from ShareGPT (needs the `build` extra),
writes them as two replay files (reference = each answer, candidate = the
next conversation's answer), and in one process times:

1. a direct `SentenceTransformer.encode` of the same 10,000 texts (baseline);
2. distillscope, cold: replay through the runner and store, embeddings with
   chunking and caching, ROUGE-L and chrF, per-category bootstrap CIs
   (goal: at most 2x the direct encode);
3. distillscope again with the embeddings cached (goal: at least 20x faster than 2).

Answers are cut to 1,500 characters, about what a 256-token generation gives.

    python benchmarks/similarity.py [--pairs 5000]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def sharegpt_answers(n: int) -> list[tuple[str, str]]:
    from distillscope.probes.sources import sharegpt_conversations

    out = []
    for item in sharegpt_conversations():
        turns = item.get("conversations") or []
        if (
            len(turns) >= 2
            and turns[0]["from"] == "human"
            and turns[1]["from"] == "gpt"
            and turns[0]["value"].strip()
            and turns[1]["value"].strip()
        ):
            out.append((turns[0]["value"][:500], turns[1]["value"].strip()[:1500]))
            if len(out) == n:
                break
    return out


def write_replay(path: Path, prompts, texts) -> Path:  # noqa: ANN001
    """A replay file: these texts as one model's answers to these prompts."""
    path.write_text("".join(json.dumps({"prompt_id": p.id, "response": t}) + "\n" for p, t in zip(prompts, texts)))
    return path


def direct_encode_seconds(texts: list[str]) -> float:
    """The baseline: a plain sentence-transformers encode of the texts (model load not counted)."""
    from sentence_transformers import SentenceTransformer

    from distillscope.metrics.embeddings import default_model_dir

    model = SentenceTransformer(str(default_model_dir()), device="cpu")
    started = time.perf_counter()
    model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    return time.perf_counter() - started


def run_distillscope(prompts, ref_file: Path, cand_file: Path, store_path: Path):  # noqa: ANN001, ANN201
    from distillscope.metrics.embeddings import Embedder, EmbeddingCache
    from distillscope.metrics.similarity import evaluate_similarity
    from distillscope.models.registry import load_model
    from distillscope.runner.answers import requests_for
    from distillscope.runner.runner import Runner
    from distillscope.runner.store import ResponseStore
    from distillscope.types import SamplingParams

    started = time.perf_counter()
    store = ResponseStore(store_path)
    runner = Runner(store, show_progress=False)
    requests = requests_for(prompts, SamplingParams())
    refs = [r.text for r in runner.run(load_model(f"replay/{ref_file}"), requests).responses]
    cands = [r.text for r in runner.run(load_model(f"replay/{cand_file}"), requests).responses]
    embedder = Embedder(cache=EmbeddingCache(store_path))
    result = evaluate_similarity(embedder, prompts, refs, cands)
    return time.perf_counter() - started, result, embedder.encoded_texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5000)
    args = parser.parse_args()
    from distillscope.types import Prompt

    rows = sharegpt_answers(args.pairs)
    categories = ["code" if "```" in a else "prose" for _, a in rows]
    prompts = [Prompt(text=q, category=c) for (q, _), c in zip(rows, categories)]
    answers = [a for _, a in rows]
    candidates = answers[1:] + answers[:1]
    with tempfile.TemporaryDirectory() as tmp:
        ref_file = write_replay(Path(tmp) / "ref.jsonl", prompts, answers)
        cand_file = write_replay(Path(tmp) / "cand.jsonl", prompts, candidates)
        direct_s = direct_encode_seconds(answers + candidates)
        cold_s, result, encoded = run_distillscope(prompts, ref_file, cand_file, Path(tmp) / "store.sqlite")
        warm_s, _, encoded_again = run_distillscope(prompts, ref_file, cand_file, Path(tmp) / "store.sqlite")
    print(f"{args.pairs} pairs ({2 * args.pairs} texts, {len(set(answers))} distinct answers)")
    print(f"direct sentence-transformers encode: {direct_s:8.1f} s")
    print(f"distillscope, cold:                  {cold_s:8.1f} s  ({encoded} texts encoded; model load included)")
    print(f"distillscope, embeddings cached:     {warm_s:8.1f} s  ({encoded_again} texts encoded)")
    print(f"cold / direct = {cold_s / direct_s:.2f} (goal <= 2.0); cold / cached = {cold_s / warm_s:.1f}x (goal >= 20)")
    print(
        "cosine overall:",
        result.overall["cosine"].fmt(),
        "| ROUGE-L:",
        result.overall["rouge_l"].fmt(),
        "| chrF:",
        result.overall["chrf"].fmt(),
    )


if __name__ == "__main__":
    main()
