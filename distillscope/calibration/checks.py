"""The calibration checks of the paired statistics, each over many simulated datasets (`make calibrate`).

- MMD under the null: false-positive rate at α = 0.05 (target [0.02, 0.08]) and
  a Kolmogorov–Smirnov test that the p-values are uniform.
- MMD under a moderate style shift: power (target ≥ 0.8).
- Advantage intervals of a fixed adversary whose true advantage is known:
  coverage of the 95% interval (target ≥ 0.93).
- q-curves: the bootstrap median minus the point estimate (target within 0.02).

The pooled-relabelling test (the old implementation) is run beside the paired
one on the same data, so the table shows why it was replaced. Issue 31's rows
(what each printed number covers) are in printed_checks.py.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel

from distillscope.calibration.simulate import fixed_adversary_log_odds, simulate_embeddings, true_advantage
from distillscope.indist.advantage import advantage, q_curve_intervals
from distillscope.indist.mmd import mmd_test

NULL_FPR_RANGE = (0.02, 0.08)
MIN_POWER = 0.8
MIN_COVERAGE = 0.93
MAX_Q_GAP = 0.02


class CheckRow(BaseModel):
    check: str
    value: float
    target: str
    passed: bool
    datasets: int


def mmd_rejections(
    datasets: int, shift: float, design: str = "paired", prompts: int = 60, samples: int = 3, permutations: int = 200, seed: int = 0
) -> np.ndarray:
    """p-values of the MMD test on `datasets` simulated paired datasets."""
    p_values = np.empty(datasets)
    for i in range(datasets):
        rng = np.random.default_rng([seed, i])
        data = simulate_embeddings(rng, prompts, samples, shift=shift)
        p_values[i] = mmd_test(data.teacher, data.student, permutations, seed=i, design=design, clusters=data.clusters).p_value
    return p_values


def advantage_coverage(datasets: int, shift: float = 1.5, prompts: int = 60, samples: int = 3, seed: int = 0) -> float:
    truth = true_advantage(shift)
    covered = 0
    for i in range(datasets):
        data = simulate_embeddings(np.random.default_rng([seed, 10_000 + i]), prompts, samples, shift=shift)
        lt, ls = fixed_adversary_log_odds(data, shift)
        estimate = advantage(lt, ls, seed=i, clusters=data.clusters)
        covered += estimate.covers(truth)
    return covered / datasets


def q_curve_gaps(
    datasets: int, shift: float = 1.5, prompts: int = 120, samples: int = 1, resamples: int = 200, seed: int = 0
) -> dict[int, float]:
    """Per q: the mean over datasets of (bootstrap median − point)."""
    gaps: dict[int, list[float]] = {}
    for i in range(datasets):
        data = simulate_embeddings(np.random.default_rng([seed, 20_000 + i]), prompts, samples, shift=shift)
        lt, ls = fixed_adversary_log_odds(data, shift)
        curve, _, draws = q_curve_intervals(lt, ls, data.clusters, resamples=resamples, seed=i)
        for q, values in draws.items():
            point = curve[q].mean
            if point is not None:
                gaps.setdefault(q, []).append(float(np.median(values)) - point)
    return {q: float(np.mean(values)) for q, values in gaps.items()}


def run_checks(datasets: int = 200, q_datasets: int = 20, shift: float = 1.5, seed: int = 0, with_pooled: bool = True) -> list[CheckRow]:
    from scipy.stats import kstest

    rows = []
    few = max(20, datasets // 4)  # the reported-only designs get a quarter of the datasets

    def rejection_rate(n: int, effect: float, seed: int, design: str = "paired") -> float:
        return float(np.mean(mmd_rejections(n, effect, design=design, seed=seed) < 0.05))

    null_p = mmd_rejections(datasets, 0.0, seed=seed)
    fpr = float(np.mean(null_p < 0.05))
    rows.append(
        CheckRow(
            check="paired MMD: false-positive rate at α=0.05 (null)",
            value=fpr,
            target=f"in [{NULL_FPR_RANGE[0]}, {NULL_FPR_RANGE[1]}]",
            passed=NULL_FPR_RANGE[0] <= fpr <= NULL_FPR_RANGE[1],
            datasets=datasets,
        )
    )
    ks = float(kstest(null_p, "uniform").pvalue)
    rows.append(
        CheckRow(check="paired MMD: KS p-value of null p-values vs uniform", value=ks, target="> 0.01", passed=ks > 0.01, datasets=datasets)
    )
    power = rejection_rate(datasets, shift, seed + 1)
    rows.append(
        CheckRow(
            check=f"paired MMD: power at α=0.05 (shift {shift})",
            value=power,
            target=f">= {MIN_POWER}",
            passed=power >= MIN_POWER,
            datasets=datasets,
        )
    )
    split_power = rejection_rate(few, shift, seed + 2, "split")
    rows.append(
        CheckRow(
            check=f"split MMD (MET design): power at α=0.05 (shift {shift})",
            value=split_power,
            target="reported",
            passed=True,
            datasets=few,
        )
    )
    split_null = rejection_rate(few, 0.0, seed + 3, "split")
    rows.append(
        CheckRow(
            check="split MMD (MET design): false-positive rate (null)",
            value=split_null,
            target="<= 0.15",
            passed=split_null <= 0.15,
            datasets=few,
        )
    )
    if with_pooled:
        pooled_power = rejection_rate(few, shift, seed + 1, "pooled")
        rows.append(
            CheckRow(
                check=f"old pooled relabelling: power (shift {shift})",
                value=pooled_power,
                target="reported (fails)",
                passed=True,
                datasets=few,
            )
        )
    coverage = advantage_coverage(datasets, shift, seed=seed)
    rows.append(
        CheckRow(
            check=f"advantage 95% CI coverage (true Adv {true_advantage(shift):.3f})",
            value=coverage,
            target=f">= {MIN_COVERAGE}",
            passed=coverage >= MIN_COVERAGE,
            datasets=datasets,
        )
    )
    for q, gap in q_curve_gaps(q_datasets, shift, seed=seed).items():
        rows.append(
            CheckRow(
                check=f"q-curve q={q}: bootstrap median − point (mean)",
                value=gap,
                target=f"|gap| <= {MAX_Q_GAP}",
                passed=abs(gap) <= MAX_Q_GAP,
                datasets=q_datasets,
            )
        )
    return rows
