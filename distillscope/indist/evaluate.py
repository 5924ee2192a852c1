"""Run the adversaries on one teacher/student pair and state the (ε, q, t, A) estimate.

Learned adversaries train on the train split and are scored on the test
split; the pairwise judge and the MMD test only look at the test split. Every
interval is a bootstrap over test prompts (a prompt's samples move together),
and the MMD test swaps the two models' answers within each (prompt, sample
index) (METHODS.md section 7). The ε table is built by `indist.epsilon`: an
estimate for the adversaries tried, never a proof that no better one exists.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from distillscope.indist.advantage import advantage_by_group, advantage_intervals, q_curve_intervals
from distillscope.indist.epsilon import Bound, EpsilonRow, class_epsilon, epsilon_table, simultaneous_confidence
from distillscope.indist.mmd import mmd_power, mmd_test
from distillscope.indist.pairwise import PairwiseJudgeResult, pairwise_judge, pick_examples
from distillscope.indist.registry import in_class, is_learned, make_adversary
from distillscope.indist.results import AdversaryResult, IndistResult, MMDResult
from distillscope.records import Paired
from distillscope.stats import Estimate

if TYPE_CHECKING:
    from distillscope.indist.adversaries import Adversary
    from distillscope.models.base import Model
    from distillscope.protocols import AnswerRunner, TextEmbedder

__all__ = [
    "AdversaryResult",
    "EpsilonRow",
    "IndistResult",
    "MMDResult",
    "Paired",
    "evaluate_indistinguishability",
    "run_cross_fitted",
    "run_learned",
]


def _learned(name: str, embedder: TextEmbedder | None, encoder_options: dict) -> Adversary:
    return make_adversary(name, embedder, encoder_options)


def _per_prompt(scores: np.ndarray, clusters: list[str]) -> dict[str, float]:
    sums: dict[str, list[float]] = {}
    for value, cluster in zip(scores, clusters):
        sums.setdefault(cluster, []).append(float(value))
    return {cluster: round(float(np.mean(values)), 6) for cluster, values in sums.items()}


def _result(
    name: str,
    description: str,
    lt: np.ndarray,
    ls: np.ndarray,
    test: Paired,
    seed: int,
    confidences: tuple,
    train_seconds: float,
    inference_seconds: float,
    n_train: int,
    cached: int = 0,
) -> AdversaryResult:
    from distillscope.indist.advantage import per_prompt_scores

    clusters = test.clusters
    curve, intervals, _ = q_curve_intervals(lt, ls, clusters, confidences=confidences, seed=seed)
    categories = [p.category or "uncategorised" for p in test.prompts]
    return AdversaryResult(
        name=name,
        description=description,
        advantage=curve[1],
        q_curve=curve,
        by_category=advantage_by_group(lt, ls, categories, seed, clusters),
        train_seconds=train_seconds,
        inference_seconds=inference_seconds,
        n_train=n_train,
        n_test=test.n_prompts,
        q_curve_simultaneous={q: levels[confidences[-1]] for q, levels in intervals.items()},
        simultaneous_confidence=confidences[-1],
        per_prompt_scores=_per_prompt(per_prompt_scores(lt, ls), clusters),
        cached_texts=cached,
    )


def run_learned(adversary: Adversary, train: Paired, test: Paired, seed: int = 0, simultaneous: float = 0.95) -> AdversaryResult:
    adversary.fit(
        train.teacher + train.student, [1] * len(train.teacher) + [0] * len(train.student), groups=train.clusters + train.clusters
    )
    scores = adversary.log_odds(test.teacher + test.student)
    lt, ls = scores[: len(test.teacher)], scores[len(test.teacher) :]
    return _result(
        adversary.name,
        adversary.description,
        lt,
        ls,
        test,
        seed,
        (0.95, simultaneous),
        adversary.train_seconds,
        adversary.inference_seconds,
        train.n_prompts,
        getattr(adversary, "cached_texts", 0),
    )


def fold_of(prompt_id: str, folds: int, seed: int) -> int:
    """A prompt's fold depends on its id and the seed only, so two measurements of the same prompts share folds."""
    return int(hashlib.sha256(f"{seed}:folds:{prompt_id}".encode()).hexdigest(), 16) % folds


def cross_fitted_log_odds(
    make_adversary: Callable[[], Adversary], paired: Paired, folds: int = 2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, float, float, str]:
    """Out-of-sample log-odds for every row: each fold scored by an adversary trained on the other folds (by prompt)."""
    n = len(paired.prompts)
    fold = np.asarray([fold_of(c, folds, seed) for c in paired.clusters])
    if len(np.unique(fold)) < folds:  # a tiny test set hashed into fewer folds: deal the prompts out in hash order instead
        ranked = sorted(set(paired.clusters), key=lambda c: hashlib.sha256(f"{seed}:folds:{c}".encode()).hexdigest())
        dealt = {c: i % folds for i, c in enumerate(ranked)}
        fold = np.asarray([dealt[c] for c in paired.clusters])
    lt, ls = np.zeros(n), np.zeros(n)
    train_seconds = inference_seconds = 0.0
    description = ""
    for k in range(folds):
        train_idx, test_idx = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
        if len(train_idx) == 0 or len(test_idx) == 0:
            continue
        part, held = paired.rows(train_idx.tolist()), paired.rows(test_idx.tolist())
        adversary = make_adversary()
        description = adversary.description
        adversary.fit(part.teacher + part.student, [1] * len(part.teacher) + [0] * len(part.student), groups=part.clusters * 2)
        scores = adversary.log_odds(held.teacher + held.student)
        lt[test_idx], ls[test_idx] = scores[: len(test_idx)], scores[len(test_idx) :]
        train_seconds += adversary.train_seconds
        inference_seconds += adversary.inference_seconds
    return lt, ls, train_seconds, inference_seconds, description


def run_cross_fitted(
    name: str,
    paired: Paired,
    embedder: TextEmbedder | None = None,
    folds: int = 2,
    seed: int = 0,
    encoder_options: dict | None = None,
) -> AdversaryResult:
    """Advantage from one sample only: each fold's answers are scored by an adversary trained on the other folds.

    Used where the model being judged has no train-split answers. Folds are
    by prompt and depend on the seed and prompt ids only.
    """
    lt, ls, train_s, infer_s, description = cross_fitted_log_odds(
        lambda: _learned(name, embedder, encoder_options or {}), paired, folds, seed
    )
    return _result(
        name, f"{description} ({folds}-fold cross-fitted)", lt, ls, paired, seed, (0.95, 0.95), train_s, infer_s, paired.n_prompts
    )


def _train_advantage(name: str, train: Paired, embedder: TextEmbedder | None, encoder_options: dict, seed: int) -> Estimate:
    lt, ls, *_ = cross_fitted_log_odds(lambda: _learned(name, embedder, encoder_options), train, 2, seed)
    return advantage_intervals(lt, ls, train.clusters, seed)[0]


def _judge_bound(judge: PairwiseJudgeResult, test: Paired, seed: int, confidence: float) -> Bound:
    status = None
    if judge.consistent == 0:
        status = f"no usable verdicts (0 of {judge.pairs} pairs order-consistent)"
    scores = judge.scores or []
    if len(scores) == len(test.prompts) and scores:
        from distillscope.stats import cluster_bootstrap

        estimate, intervals = cluster_bootstrap(scores, test.clusters, seed=seed, confidences=(0.95, confidence))
        simultaneous = intervals[confidence]
    else:  # a result without per-pair scores: its own 95% interval serves at both levels
        estimate = judge.advantage_all_pairs
        simultaneous = (estimate.low, estimate.high)
    return Bound(name="judge", q=1, estimate=estimate, simultaneous=simultaneous, t_seconds=judge.seconds, status=status)


def evaluate_indistinguishability(
    train: Paired,
    test: Paired,
    adversaries: Sequence[str],
    embedder: TextEmbedder | None = None,
    runner: AnswerRunner[Model] | None = None,
    judge: Model | None = None,
    seed: int = 0,
    encoder_options: dict | None = None,
    mmd_permutations: int = 1000,
    mmd_repeats: int = 50,
    on_stage: Callable[[str], None] | None = None,
    mmd_design: str = "paired",
    select_on_train: bool = True,
) -> IndistResult:
    on_stage = on_stage or (lambda stage: None)
    encoder_options = encoder_options or {}
    tried = [a for a in adversaries if in_class(a)]
    confidence = simultaneous_confidence(len(tried))
    learned = {}
    for name in [a for a in adversaries if is_learned(a)]:
        on_stage(f"adversary {name}")
        learned[name] = run_learned(_learned(name, embedder, encoder_options), train, test, seed, confidence)
        if select_on_train and len([a for a in tried if is_learned(a)]) > 1:
            on_stage(f"adversary {name}: cross-fitted on the train split (picks the class's adversary)")
            learned[name].train_advantage = _train_advantage(name, train, embedder, encoder_options, seed)
    judge_result = None
    if "judge" in adversaries:
        on_stage("pairwise judge")
        if runner is None or judge is None:
            raise ValueError("the judge adversary needs a runner and a judge model")
        examples = pick_examples(train.prompts, train.teacher, seed=seed)
        judge_result = pairwise_judge(runner, judge, test.prompts, test.teacher, test.student, examples, seed)
    mmd_result = None
    if "mmd" in adversaries:
        on_stage(f"MMD two-sample test ({mmd_design})")
        if embedder is None:
            raise ValueError("the MMD test needs an embedder")
        start = time.perf_counter()
        x, y = embedder.embed(test.teacher), embedder.embed(test.student)
        mmd_result = MMDResult(
            test=mmd_test(x, y, mmd_permutations, seed, mmd_design, test.clusters),
            power=mmd_power(x, y, repeats=mmd_repeats, seed=seed, design=mmd_design, clusters=test.clusters),
            seconds=time.perf_counter() - start,
            design=mmd_design,
        )
    selected = _select(learned)
    bounds = [
        Bound(
            name=r.name,
            q=q,
            estimate=e,
            simultaneous=r.q_curve_simultaneous.get(q, (None, None)),
            t_seconds=r.train_seconds + r.inference_seconds,
        )
        for r in learned.values()
        for q, e in r.q_curve.items()
    ]
    if judge_result is not None:  # one prompt, both answers: the judge plays the pair game at q = 1
        bounds.append(_judge_bound(judge_result, test, seed, confidence))
    rows = epsilon_table(bounds, selected, len(tried))
    return IndistResult(
        n_train=train.n_prompts,
        n_test=test.n_prompts,
        learned=learned,
        judge=judge_result,
        mmd=mmd_result,
        epsilon_table=rows,
        samples_per_prompt=test.samples_per_prompt,
        selected=selected,
        simultaneous_confidence=confidence,
        epsilon_class=class_epsilon(rows, len(tried)),
    )


def _select(learned: dict[str, AdversaryResult]) -> str | None:
    """The learned adversary with the largest |cross-fitted train advantage|; the only one if just one ran."""
    if len(learned) == 1:
        return next(iter(learned))
    scored = {
        name: abs(r.train_advantage.mean)
        for name, r in learned.items()
        if r.train_advantage is not None and r.train_advantage.mean is not None
    }
    return max(scored, key=lambda name: scored[name]) if scored else None
