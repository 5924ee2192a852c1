"""Witness functions for the betting test, fitted on earlier pairs only.

An observation is one prompt's pair of answers as feature vectors. Two
logistic regressions are refitted on the history before each batch:

- the **pair witness** learns which of two answers to one prompt is the
  teacher's from feature differences d = φ(a) - φ(b) (each past pair enters
  once as (d, 1) and once as (-d, 0), so there is no side to learn and no
  intercept). Its log-odds x = w·d is odd in the pair and the prompt's own
  effect cancels in d; the payoff f = tanh(x / 2) = 2·P̂(right) - 1.
- the **answer adversary** is the per-answer classifier of METHODS.md
  section 5 (teacher = 1, student = 0, with an intercept); its pair score
  v = [right on T's answer] + [right on S's answer] - 1 feeds the confidence
  sequence for the advantage at q = 1.

Both are plain functions of the history handed to them; `BettingTest` hands
them nothing else.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from distillscope.indist.betting import NoBet, Witness

MIN_PAIRS = 8  # below this a fitted direction is mostly noise, so the test waits (bets 0)


@dataclass(frozen=True)
class PairObservation:
    """One prompt's answers as features: the teacher's and the student's (read-only arrays)."""

    teacher: np.ndarray
    student: np.ndarray
    prompt_id: str = ""

    @classmethod
    def of(cls, teacher: np.ndarray, student: np.ndarray, prompt_id: str = "") -> "PairObservation":
        t, s = np.array(teacher, dtype=float), np.array(student, dtype=float)
        t.flags.writeable = s.flags.writeable = False
        return cls(t, s, prompt_id)


class _Linear:
    """A fitted scikit-learn logistic regression, kept as plain arrays so scoring a batch is one matrix product."""

    def __init__(self, features: np.ndarray, labels: np.ndarray, intercept: bool, strength: float) -> None:
        from sklearn.linear_model import LogisticRegression

        # the pair model is scaled without centring, which keeps it odd in d; scaling puts style counts
        # and embedding dimensions on one footing for the L2 penalty
        self.centre = features.mean(axis=0) if intercept else np.zeros(features.shape[1])
        scale = np.sqrt(np.mean((features - self.centre) ** 2, axis=0))
        self.scale = np.where(scale > 0, scale, 1.0)
        model = LogisticRegression(C=strength, fit_intercept=intercept, solver="newton-cholesky", max_iter=100)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence notices on tiny, separable histories
            model.fit((features - self.centre) / self.scale, labels)
        self.weights = model.coef_[0]
        self.bias = float(model.intercept_[0]) if intercept else 0.0

    def log_odds(self, features: np.ndarray) -> np.ndarray:
        return (features - self.centre) / self.scale @ self.weights + self.bias


class LogisticWitness:
    """Pair witness and answer adversary, fitted once on a given history."""

    def __init__(self, history: Sequence[PairObservation], strength: float = 0.1, advantage: bool = True) -> None:
        teacher = np.stack([o.teacher for o in history])
        student = np.stack([o.student for o in history])
        differences = teacher - student
        labels = np.r_[np.ones(len(history)), np.zeros(len(history))]
        self.pair_model = _Linear(np.vstack([differences, -differences]), labels, False, strength)
        self.answer_model = _Linear(np.vstack([teacher, student]), labels, True, strength) if advantage else None

    def payoffs(self, observations: Sequence[PairObservation]) -> np.ndarray:
        differences = np.stack([o.teacher - o.student for o in observations])
        return np.tanh(self.pair_model.log_odds(differences) / 2)

    def advantages(self, observations: Sequence[PairObservation]) -> np.ndarray | None:
        if self.answer_model is None:
            return None
        from distillscope.indist.advantage import per_prompt_scores

        teacher = self.answer_model.log_odds(np.stack([o.teacher for o in observations]))
        student = self.answer_model.log_odds(np.stack([o.student for o in observations]))
        return per_prompt_scores(teacher, student)


def logistic_witness(strength: float = 0.1, advantage: bool = True, min_pairs: int = MIN_PAIRS):  # noqa: ANN201
    """A `WitnessFitter`: no bet until min_pairs pairs are known, then both logistic models on all of them."""

    def fit(history: tuple[PairObservation, ...]) -> Witness:
        if len(history) < min_pairs:
            return NoBet()
        return LogisticWitness(history, strength, advantage)

    return fit
