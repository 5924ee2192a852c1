"""Run the adversaries on one teacher/student pair and state the (ε, q, t, A) estimate.

Learned adversaries train on the train split and are scored on the test
split; the pairwise judge and the MMD test only look at the test split. The
ε in the table is the upper end of the advantage's 95% interval for that
adversary class at q queries: an estimate for the adversaries tried, never a
proof that no better adversary exists.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from pydantic import BaseModel

from distillscope.indist.advantage import advantage, advantage_by_group, q_curve
from distillscope.indist.mmd import MMDTest, mmd_power, mmd_test
from distillscope.indist.pairwise import PairwiseJudgeResult, pairwise_judge, pick_examples
from distillscope.metrics.stats import Estimate
from distillscope.types import Prompt

ADVERSARIES = ("style", "embed", "encoder", "judge", "mmd")


class Paired(BaseModel):
    """Prompts answered by both models, in the same order."""

    prompts: list[Prompt]
    teacher: list[str]
    student: list[str]

    @classmethod
    def from_answers(cls, prompts: Sequence[Prompt], teacher: Sequence[str | None],
                     student: Sequence[str | None]) -> tuple["Paired", int]:
        """Keep the prompts both models answered; also return how many were dropped."""
        keep = [i for i in range(len(prompts)) if teacher[i] is not None and student[i] is not None]
        return cls(prompts=[prompts[i] for i in keep], teacher=[teacher[i] for i in keep],
                   student=[student[i] for i in keep]), len(prompts) - len(keep)


class AdversaryResult(BaseModel):
    name: str
    description: str
    advantage: Estimate
    q_curve: dict[int, Estimate]
    by_category: dict[str, Estimate]
    train_seconds: float
    inference_seconds: float
    n_train: int
    n_test: int


class MMDResult(BaseModel):
    test: MMDTest
    power: dict[int, Estimate]
    seconds: float


class EpsilonRow(BaseModel):
    adversary: str
    q: int
    advantage: float | None
    epsilon: float | None  # upper 95% bound of the advantage
    t_seconds: float


class IndistResult(BaseModel):
    n_train: int
    n_test: int
    learned: dict[str, AdversaryResult]
    judge: PairwiseJudgeResult | None = None
    mmd: MMDResult | None = None
    epsilon_table: list[EpsilonRow]


def _learned(name: str, embedder, encoder_options: dict):  # noqa: ANN001, ANN202
    from distillscope.indist.adversaries import EmbeddingAdversary, StyleAdversary

    if name == "style":
        return StyleAdversary()
    if name == "embed":
        return EmbeddingAdversary(embedder)
    from distillscope.indist.encoder import EncoderAdversary

    return EncoderAdversary(**encoder_options)


def run_learned(adversary, train: Paired, test: Paired, seed: int = 0) -> AdversaryResult:  # noqa: ANN001
    texts = train.teacher + train.student
    labels = [1] * len(train.teacher) + [0] * len(train.student)
    adversary.fit(texts, labels)
    scores = adversary.log_odds(test.teacher + test.student)
    lt, ls = scores[: len(test.teacher)], scores[len(test.teacher):]
    categories = [p.category or "uncategorised" for p in test.prompts]
    return AdversaryResult(
        name=adversary.name, description=adversary.description, advantage=advantage(lt, ls, seed),
        q_curve=q_curve(lt, ls, seed=seed), by_category=advantage_by_group(lt, ls, categories, seed),
        train_seconds=adversary.train_seconds, inference_seconds=adversary.inference_seconds,
        n_train=len(train.prompts), n_test=len(test.prompts),
    )


def evaluate_indistinguishability(
    train: Paired, test: Paired, adversaries: Sequence[str], embedder=None, runner=None, judge=None,  # noqa: ANN001
    seed: int = 0, encoder_options: dict | None = None, mmd_permutations: int = 500, mmd_repeats: int = 50,
    on_stage: Callable[[str], None] | None = None,
) -> IndistResult:
    on_stage = on_stage or (lambda stage: None)
    learned = {}
    for name in [a for a in adversaries if a in ("style", "embed", "encoder")]:
        on_stage(f"adversary {name}")
        learned[name] = run_learned(_learned(name, embedder, encoder_options or {}), train, test, seed)
    judge_result = None
    if "judge" in adversaries:
        on_stage("pairwise judge")
        examples = pick_examples(train.prompts, train.teacher, seed=seed)
        judge_result = pairwise_judge(runner, judge, test.prompts, test.teacher, test.student, examples, seed)
    mmd_result = None
    if "mmd" in adversaries:
        on_stage("MMD two-sample test")
        start = time.perf_counter()
        x, y = embedder.embed(test.teacher), embedder.embed(test.student)
        mmd_result = MMDResult(test=mmd_test(x, y, mmd_permutations, seed), power=mmd_power(x, y, repeats=mmd_repeats, seed=seed),
                               seconds=time.perf_counter() - start)
    return IndistResult(n_train=len(train.prompts), n_test=len(test.prompts), learned=learned, judge=judge_result,
                        mmd=mmd_result, epsilon_table=epsilon_table(learned, judge_result))


def epsilon_table(learned: dict[str, AdversaryResult], judge: PairwiseJudgeResult | None) -> list[EpsilonRow]:
    rows = []
    for result in learned.values():
        seconds = result.train_seconds + result.inference_seconds
        for q, estimate in result.q_curve.items():
            rows.append(EpsilonRow(adversary=result.name, q=q, advantage=estimate.mean, epsilon=estimate.high, t_seconds=seconds))
    if judge is not None:  # one prompt, both answers: the judge plays the pair game at q = 1
        rows.append(EpsilonRow(adversary="judge", q=1, advantage=judge.advantage_all_pairs.mean,
                               epsilon=judge.advantage_all_pairs.high, t_seconds=judge.seconds))
    return rows


def run_cross_fitted(name: str, paired: Paired, embedder=None, folds: int = 2, seed: int = 0) -> AdversaryResult:  # noqa: ANN001
    """Advantage from one sample only: each fold's answers are scored by an adversary trained on the other folds.

    Used where the model being judged has no train-split answers (a freshly
    distilled student): every answer still gets an out-of-sample log-odds.
    """
    import random as _random

    import numpy as np

    n = len(paired.prompts)
    order = list(range(n))
    _random.Random(f"{seed}:folds").shuffle(order)
    fold_of = {index: position % folds for position, index in enumerate(order)}
    lt, ls = np.zeros(n), np.zeros(n)
    train_seconds = inference_seconds = 0.0
    description = ""
    for fold in range(folds):
        train_idx = [i for i in range(n) if fold_of[i] != fold]
        test_idx = [i for i in range(n) if fold_of[i] == fold]
        adversary = _learned(name, embedder, {})
        description = adversary.description
        adversary.fit([paired.teacher[i] for i in train_idx] + [paired.student[i] for i in train_idx],
                      [1] * len(train_idx) + [0] * len(train_idx))
        scores = adversary.log_odds([paired.teacher[i] for i in test_idx] + [paired.student[i] for i in test_idx])
        lt[test_idx], ls[test_idx] = scores[: len(test_idx)], scores[len(test_idx):]
        train_seconds += adversary.train_seconds
        inference_seconds += adversary.inference_seconds
    categories = [p.category or "uncategorised" for p in paired.prompts]
    return AdversaryResult(name=name, description=f"{description} ({folds}-fold cross-fitted)", advantage=advantage(lt, ls, seed),
                           q_curve=q_curve(lt, ls, seed=seed), by_category=advantage_by_group(lt, ls, categories, seed),
                           train_seconds=train_seconds, inference_seconds=inference_seconds, n_train=n, n_test=n)
