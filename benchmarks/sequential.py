"""Queries to a decision: the sequential betting test vs the fixed-n paired two-sample test, on the same data.

For each data set (paired features: one row per prompt, the teacher's and
the student's answer) it prints, side by side:

- the median number of prompts per model the sequential test (α = 0.05,
  batches ramping 1, 1, 2, 2, 4, ... up to k, wealth mixed over fixed bets and
  over the mean-difference, kernel and logistic witnesses: the default) asks
  before it rejects, over runs in random prompt orders (runs that never reject
  count as the budget, so the median is not flattered), and how many runs
  rejected within the budget; beside it the same for the first version
  (online-Newton bet on the logistic witness alone, batches of k throughout);
- the smallest n at which the fixed-n paired permutation MMD test
  (within-prompt swaps, `distillscope.indist.mmd`, α = 0.05) reaches power 0.8,
  over subsamples of n prompts of the same data (on stored answers it sees
  their embeddings, as `distillscope indist` does); and, for context, the same
  for a paired sign-flip test on the mean feature difference;
- the ratio fixed-n (MMD at power 0.8) / sequential (the issue's target: ≥ 3),
  and, for the practical case where the effect is not known in advance, the
  default fixed n = 200 of `distillscope indist` / sequential.

Data: synthetic pairs shaped like the real thing (a per-prompt effect three
times the answer noise, a smaller model shift along one direction), and,
with --store, real stored answers of two models (style features + MiniLM
embeddings, the witness's real input).

    python benchmarks/sequential.py [--runs 100] [--repeats 50] [--known-direction]
    python benchmarks/sequential.py --store .distillscope/store.sqlite \\
        --teacher builtin/qwen2.5-coder-0.5b-instruct --student builtin/gemma-3-270m
"""

from __future__ import annotations

import argparse
import time

import numpy as np

ALPHA, POWER = 0.05, 0.8
DEFAULT_N = 200  # what `distillscope indist` asks by default when nobody knows the effect in advance


FIRST_VERSION = {"betting": "ons", "witness": "logistic", "ramp": False}  # what the test did before the mixture


def sequential_queries(teacher: np.ndarray, student: np.ndarray, runs: int, settings, seed: int) -> list[tuple[int, bool]]:  # noqa: ANN001
    """(prompts asked per model, rejected?) per run, one run per random prompt order; the budget when it never rejects."""
    from distillscope.indist.sequential_sim import run_on_pairs

    rng = np.random.default_rng(seed)
    asked = []
    for _ in range(runs):
        order = rng.permutation(len(teacher))[: settings.max_queries]
        run = run_on_pairs(teacher[order], student[order], settings, stop_at_rejection=True)
        asked.append((run.trajectory[-1].queries if run.rejected else settings.max_queries, run.rejected))
    return asked


def sign_flip_p(d: np.ndarray, permutations: int, rng: np.random.Generator) -> float:
    """Paired sign-flip test of a zero mean difference: Σ_j mean_j(d)² / mean_j(d²), null by flipping each prompt's sign.

    The scale is uncentred, so it is the same under every sign flip and the permutation p-value is exact.
    """
    scale = np.sqrt(np.mean(d**2, axis=0)) + 1e-12
    z = d / scale
    observed = float(np.sum(z.mean(axis=0) ** 2))
    signs = rng.choice([-1.0, 1.0], size=(permutations, len(d)))
    null = np.sum((signs @ z / len(d)) ** 2, axis=1)
    return (1 + int(np.sum(null >= observed))) / (1 + permutations)


def fixed_n_for_power(
    teacher: np.ndarray, student: np.ndarray, test: str, repeats: int, seed: int, permutations: int = 200
) -> tuple[int | None, dict[int, float]]:
    """Smallest n (5, 6, then a √2 grid from 8) whose rejection rate at α over `repeats` subsamples of n prompts reaches 0.8.

    5 is the least n at which a paired permutation test can reject at α = 0.05 at all (2⁵ = 32 sign patterns).
    """
    from distillscope.indist.mmd import mmd_test

    rng = np.random.default_rng(seed)
    sizes = sorted({5, 6} | {int(round(8 * 2 ** (k / 2))) for k in range(0, 40)})
    sizes = [n for n in sizes if n <= len(teacher)]
    powers: dict[int, float] = {}
    for n in sizes:
        rejections = 0
        for _ in range(repeats):
            rows = rng.choice(len(teacher), n, replace=False)
            if test == "mmd":
                p = mmd_test(teacher[rows], student[rows], permutations, int(rng.integers(1 << 31)), design="paired").p_value
            else:
                p = sign_flip_p(teacher[rows] - student[rows], permutations, rng)
            rejections += p <= ALPHA
        powers[n] = rejections / repeats
        if powers[n] >= POWER:
            return n, powers
    return None, powers


def stored_pairs(store_path: str, teacher: str, student: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Both models' stored answers (sample 0) to the prompts both answered: style + embedding features (what the
    sequential witness sees), and the embeddings alone (what `distillscope indist`'s MMD test sees)."""
    from distillscope.indist.sequential import featurizer
    from distillscope.metrics.embeddings import Embedder, EmbeddingCache
    from distillscope.runner.store import ResponseStore

    store = ResponseStore(store_path)
    answers = [{r["prompt_id"]: r["text"] for r in store.iter_responses(model) if r["sample_index"] == 0} for model in (teacher, student)]
    shared = sorted(set(answers[0]) & set(answers[1]))
    if len(shared) < 20:
        raise SystemExit(f"the store holds only {len(shared)} prompts answered by both {teacher} and {student}")
    embedder = Embedder(cache=EmbeddingCache(store.path))
    featurize = featurizer("style+embed", embedder)
    texts = [[answers[side][p] for p in shared] for side in (0, 1)]
    return featurize(texts[0]), featurize(texts[1]), embedder.embed(texts[0]), embedder.embed(texts[1])


def report(
    name: str, teacher: np.ndarray, student: np.ndarray, args: argparse.Namespace, mmd_view: tuple[np.ndarray, np.ndarray] | None = None
) -> dict:
    from distillscope.indist.sequential import SequentialSettings

    settings = SequentialSettings(alpha=ALPHA, max_queries=min(args.max_queries, len(teacher)), batch=args.batch)
    started = time.perf_counter()
    outcomes = sequential_queries(teacher, student, args.runs, settings, args.seed)
    asked, rejected = [q for q, _ in outcomes], sum(r for _, r in outcomes)
    sequential_s = time.perf_counter() - started
    first = sequential_queries(teacher, student, args.runs, settings.model_copy(update=FIRST_VERSION), args.seed)
    first_median = float(np.median([q for q, _ in first]))
    started = time.perf_counter()
    mmd_n, mmd_power = fixed_n_for_power(*(mmd_view or (teacher, student)), "mmd", args.repeats, args.seed)
    flip_n, _ = fixed_n_for_power(teacher, student, "sign-flip", args.repeats, args.seed)
    fixed_s = time.perf_counter() - started
    median = float(np.median(asked))
    ratio = f"{mmd_n / median:.1f}x" if mmd_n else f"> {len(teacher) / median:.1f}x"
    print(
        f"{name:<34} {median:>9.0f} {rejected:>4}/{len(asked):<4} {first_median:>9.0f} {mmd_n or f'>{len(teacher)}':>9} "
        f"{flip_n or f'>{len(teacher)}':>9} {ratio:>8} {DEFAULT_N / median:>8.1f}x"
        f"   ({sequential_s:.0f} s + {fixed_s:.0f} s)",
        flush=True,
    )
    return {
        "data": name,
        "sequential_median": median,
        "first_version_median": first_median,
        "mmd_n": mmd_n,
        "sign_flip_n": flip_n,
        "mmd_power": mmd_power,
    }


def known_direction(effects: list[float], runs: int, seed: int) -> None:
    """The best case: the witness knows the shift's direction from the first pair (no learning), one pair per batch.

    Compared with the fixed-n one-sided z-test on the same known direction, n = (z₀.₉₅ + z₀.₈)² / SNR², SNR the shift over
    the pair difference's noise (√2): what an anytime-valid test pays for being valid at every stopping time.
    """
    from distillscope.indist.betting import NoBet
    from distillscope.indist.sequential import SequentialSettings
    from distillscope.indist.sequential_sim import run_on_pairs

    class Known:
        def payoffs(self, observations):  # noqa: ANN001, ANN202
            return np.tanh(np.array([o.teacher[0] - o.student[0] for o in observations]) / np.sqrt(2))

        def advantages(self, observations) -> None:  # noqa: ANN001
            return None

    rng = np.random.default_rng(seed)
    settings = SequentialSettings(alpha=ALPHA, max_queries=2000, batch=1)
    for effect in effects:
        asked = []
        for _ in range(runs):
            teacher, student = rng.normal(size=(2, settings.max_queries, 2))
            teacher[:, 0] += effect
            run = run_on_pairs(teacher, student, settings, lambda history: Known() if history else NoBet(), stop_at_rejection=True)
            asked.append(run.test.n)
        fixed = (1.6449 + 0.8416) ** 2 / (effect / np.sqrt(2)) ** 2
        print(
            f"known direction, shift {effect:g}: sequential median {np.median(asked):.0f} pairs (batch 1); "
            f"fixed-n z-test for power {POWER}: {fixed:.1f} pairs; ratio {fixed / np.median(asked):.2f}x",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="sequential runs (random prompt orders) per data set")
    parser.add_argument("--repeats", type=int, default=50, help="subsamples per n for the fixed-n power")
    parser.add_argument("--max-queries", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--pairs", type=int, default=3000, help="synthetic prompts per data set")
    parser.add_argument("--effects", default="0.6,1.0,1.5,3.0", help="synthetic model shifts (answer noise = 1, prompt spread = 3)")
    parser.add_argument("--dim", type=int, default=16)
    parser.add_argument("--store", help="a store with both models' answers")
    parser.add_argument("--teacher")
    parser.add_argument("--student")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--known-direction", action="store_true", help="also the best case: the shift's direction known")
    args = parser.parse_args()
    from distillscope.indist.sequential_sim import paired_features

    print(f"alpha {ALPHA}, batches of {args.batch}, budget {args.max_queries} prompts per model; fixed-n power {POWER}")
    print(f"{'data':<34} {'seq. med':>9} {'rejected':>9} {'1st vers.':>9} {'MMD n.8':>9} {'flip n.8':>9} {'MMD/seq':>8} {'200/seq':>9}")
    rng = np.random.default_rng(args.seed)
    for effect in (float(e) for e in args.effects.split(",")):
        teacher, student = paired_features(args.pairs, args.dim, rng, effect=effect)
        report(f"synthetic, shift {effect:g}, dim {args.dim}", teacher, student, args)
    if args.known_direction:
        known_direction([float(e) for e in args.effects.split(",")], args.runs, args.seed)
    if args.store:
        teacher, student, teacher_embedded, student_embedded = stored_pairs(args.store, args.teacher, args.student)
        report(
            f"stored: {args.student.split('/')[-1]} vs {args.teacher.split('/')[-1]}",
            teacher,
            student,
            args,
            mmd_view=(teacher_embedded, student_embedded),
        )


if __name__ == "__main__":
    main()
