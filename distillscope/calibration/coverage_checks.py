"""Coverage of the intervals issue 31 found wrong, by simulation with the real structure (`make calibrate`, tests).

- MMD power: on one dataset of n prompts (strong per-prompt effect, several
  samples per prompt, paired answers), `mmd_power` estimates the power at m;
  the truth is the rejection rate over fresh, independent datasets of m
  prompts. Coverage = share of datasets whose interval holds the truth. The
  old intervals (Wilson on the number of overlapping subsamples) are scored
  on the same datasets.
- The sequential confidence sequence: an online adversary improving to a true
  advantage of 0.60; coverage of what is printed (the λ-weighted average of
  the online adversaries' advantages) and of the final adversary's 0.60.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel

from distillscope.calibration.simulate import simulate_embeddings
from distillscope.indist.mmd import mmd_power, mmd_test


class PowerCoverage(BaseModel):
    m: int
    true_power: float
    coverage: float  # the intervals printed now
    old_coverage: float  # Wilson on the number of subsample tests, as before issue 31
    mean_width: float
    datasets: int


def true_mmd_power(m: int, samples: int, shift: float, fresh: int, permutations: int, seed: int) -> float:
    """Rejection rate of the paired MMD test over `fresh` independent datasets of m prompts."""
    rejections = 0
    for i in range(fresh):
        data = simulate_embeddings(np.random.default_rng([seed, 50_000 + i]), m, samples, shift=shift)
        rejections += mmd_test(data.teacher, data.student, permutations, seed=i, clusters=data.clusters).p_value < 0.05
    return rejections / fresh


def mmd_power_coverage(
    datasets: int = 40,
    prompts: int = 24,
    sizes: tuple[int, ...] = (6, 24),
    samples: int = 2,
    shift: float = 1.0,
    repeats: int = 20,
    permutations: int = 100,
    fresh: int = 200,
    seed: int = 0,
) -> list[PowerCoverage]:
    from distillscope.stats import proportion

    truth = {m: true_mmd_power(m, samples, shift, fresh, permutations, seed) for m in sizes}
    hits = {m: [0, 0, 0.0] for m in sizes}
    for d in range(datasets):
        data = simulate_embeddings(np.random.default_rng([seed, 60_000 + d]), prompts, samples, shift=shift)
        power = mmd_power(data.teacher, data.student, list(sizes), repeats, permutations=permutations, seed=d, clusters=data.clusters)
        for m, estimate in power.items():
            if estimate.mean is None or estimate.low is None or estimate.high is None:
                continue  # never: each size's power is a proportion of `repeats` tests, with its interval
            old = proportion(round(estimate.mean * repeats), repeats)
            hits[m][0] += estimate.covers(truth[m])
            hits[m][1] += old.covers(truth[m])
            hits[m][2] += estimate.high - estimate.low
    return [
        PowerCoverage(
            m=m, true_power=truth[m], coverage=h[0] / datasets, old_coverage=h[1] / datasets, mean_width=h[2] / datasets, datasets=datasets
        )
        for m, h in hits.items()
    ]


class SequenceCoverage(BaseModel):
    final_advantage: float
    covers_printed: float  # share of runs whose interval held the λ-weighted online average at every batch
    covers_printed_at_stop: float  # ... at the last batch
    upper_below_final: float  # share of runs whose printed upper end at the stop lies below the final adversary's advantage
    old_covers_printed: float  # the intervals intersected over time, as before issue 31
    old_upper_below_final: float
    runs: int


def improving_advantages(pairs: int, final: float = 0.6, scale: float = 50.0) -> np.ndarray:
    """a_t: the true advantage of the online adversary that scores pair t, rising towards `final` as it learns."""
    return final * (1 - np.exp(-np.arange(1, pairs + 1) / scale))


def confidence_sequence_coverage(runs: int = 200, pairs: int = 200, batch: int = 10, final: float = 0.6, seed: int = 0) -> SequenceCoverage:
    """Per pair, each of the two guesses is right with probability (1 + a_t)/2, so v ∈ {-1, 0, 1} has mean a_t."""
    from distillscope.indist.confseq import ConfidenceSequence

    truth = improving_advantages(pairs, final)
    covered = covered_stop = below = old_covered = old_below = 0
    for r in range(runs):
        rng = np.random.default_rng([seed, 70_000 + r])
        right = rng.random((pairs, 2)) < ((1 + truth) / 2)[:, None]
        scores = right.sum(axis=1) - 1.0
        cs = ConfidenceSequence(alpha=0.05)
        ok, old_ok, old_low, old_high = True, True, -1.0, 1.0
        for start in range(0, pairs, batch):
            for value in scores[start : start + batch]:  # the old code intersected after every value
                cs.update([value])
                interval = cs.interval()
                old_low, old_high = max(old_low, interval.low), min(old_high, interval.high)
            weights = np.asarray(cs.weights)
            target = float(np.sum(weights * truth[: cs.n]) / np.sum(weights))
            ok &= interval.low <= target <= interval.high
            old_ok &= old_low <= target <= old_high
        covered += ok
        covered_stop += interval.low <= target <= interval.high
        below += interval.high < truth[-1]
        old_covered += old_ok
        old_below += old_high < truth[-1]
    return SequenceCoverage(
        final_advantage=float(truth[-1]),
        covers_printed=covered / runs,
        covers_printed_at_stop=covered_stop / runs,
        upper_below_final=below / runs,
        old_covers_printed=old_covered / runs,
        old_upper_below_final=old_below / runs,
        runs=runs,
    )


class EpsilonCoverage(BaseModel):
    k: int
    qs: list[int]
    per_q: dict[int, float]  # share of datasets where the class bound at q held every adversary's true |Adv(q)|
    all_q: float  # ... at every q at once
    datasets: int


def epsilon_over_q_coverage(
    datasets: int = 100, k: int = 4, prompts: int = 40, samples: int = 2, resamples: int = 500, seed: int = 0
) -> EpsilonCoverage:
    """The class row's simultaneous intervals (level 1 − α/k, one per q) under the null, where every Adv(q) is 0.

    Null data (the student answers like the teacher, strong per-prompt effect,
    several samples per prompt) and k fixed linear adversaries along different
    directions, each scored by the library's q-curve bootstrap exactly as the
    ε table is; a class bound at q holds when all k intervals at q contain 0.
    """
    from distillscope.indist.advantage import q_curve_intervals
    from distillscope.indist.epsilon import simultaneous_confidence

    level = simultaneous_confidence(k)
    held: dict[int, int] = {}
    all_held = 0
    qs: list[int] = []
    for d in range(datasets):
        rng = np.random.default_rng([seed, 80_000 + d])
        data = simulate_embeddings(rng, prompts, samples)
        directions = rng.normal(size=(k, data.teacher.shape[1]))
        per_q: dict[int, bool] = {}
        for j, w in enumerate(directions):
            lt, ls = data.teacher @ w / 3.0, data.student @ w / 3.0
            _, intervals, _ = q_curve_intervals(lt, ls, data.clusters, resamples=resamples, confidences=(0.95, level), seed=d * k + j)
            for q, levels in intervals.items():
                low, high = levels[level]
                per_q[q] = per_q.get(q, True) and low is not None and low <= 0.0 <= high
        qs = sorted(per_q)
        for q, ok in per_q.items():
            held[q] = held.get(q, 0) + ok
        all_held += all(per_q.values())
    return EpsilonCoverage(k=k, qs=qs, per_q={q: h / datasets for q, h in held.items()}, all_q=all_held / datasets, datasets=datasets)


def continuation_identical(runs: int = 20, seed: int = 0) -> float:
    """Share of simulated runs whose rerun at a larger budget reproduces the first run's log-wealth and weights pair by pair.

    The first budget (45) cuts a batch short; the rerun (120) takes that batch whole. Answers come back in the
    same order (the order is seeded, answers are served from the store), and the witness of a batch is fitted on
    the history before it, so the rerun must be the same e-process, continued.
    """
    from distillscope.indist.betting import SequentialSettings
    from distillscope.indist.sequential_sim import paired_features, run_on_pairs

    same = 0
    for r in range(runs):
        teacher, student = paired_features(120, 6, np.random.default_rng([seed, 90_000 + r]), effect=0.4)
        small = run_on_pairs(teacher, student, SequentialSettings(max_queries=45, batch=10))
        large = run_on_pairs(teacher, student, SequentialSettings(max_queries=120, batch=10))
        same += (
            large.test.path[: small.test.n] == small.test.path
            and large.confidence.weights[: small.confidence.n] == small.confidence.weights
        )
    return same / runs
