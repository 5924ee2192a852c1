"""Witness functions for the betting test, fitted on earlier pairs only.

An observation is one prompt's pair of answers as feature vectors. The
default witness (`MixtureWitnessFitter`) gives three payoffs per pair, and
the bettor splits its wealth over them, so whichever suits the data wins:

- the **mean-difference witness**: f ∝ ⟨d, mean of past d⟩ with d the pair's
  feature difference, the online form of the paired sign-flip test; works
  from two pairs on;
- the **kernel witness**: the MMD witness function of past teachers' and
  students' answers, the online form of the paired MMD test; from two pairs on;
- the **logistic pair witness** below (from eight pairs on).

Raw values become payoffs in [-1, 1] by tanh(raw / c), c their spread on past
pairs. For the logistic witness two logistic regressions are refitted on the
history before each batch:

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

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from distillscope.indist.betting import NoBet, SequentialSettings, Witness, WitnessFitter

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


def logistic_witness(strength: float = 0.1, advantage: bool = True, min_pairs: int = MIN_PAIRS) -> WitnessFitter:
    """A `WitnessFitter`: no bet until min_pairs pairs are known, then both logistic models on all of them."""

    def fit(history: tuple[PairObservation, ...]) -> Witness:
        if len(history) < min_pairs:
            return NoBet()
        return LogisticWitness(history, strength, advantage)

    return fit


class _Scaled:
    """Raw witness values -> payoffs tanh(raw / c), with a scale c fixed from past pairs only.

    It puts a typical payoff near ±0.76, so the fixed bets use the range
    [-1, 1] whatever the features' units.
    """

    def __init__(self, scale: float) -> None:
        self.scale = scale if scale > 0 and math.isfinite(scale) else 1.0

    @classmethod
    def by_spread(cls, values: np.ndarray) -> "_Scaled":
        """c = the spread of raw values on past pairs about their mean (their RMS while there are only two): under the
        null that is their spread, and under an alternative the signal is not counted as noise, so a clear difference
        pays near ±1."""
        if len(values) == 0:
            return cls(1.0)
        return cls(float(np.std(values) if len(values) > 2 else np.sqrt(np.mean(values**2))))

    def payoffs(self, raw: np.ndarray) -> np.ndarray:
        return np.tanh(raw / self.scale)


class MeanDifferenceWitness:
    """f ∝ ⟨d, mean of past d⟩ on features scaled per dimension: the online form of the paired sign-flip test.

    d = φ(teacher) - φ(student), so the prompt's effect cancels and swapping the
    answers flips f. Learns a direction from two pairs on; best when the models
    differ by a shift of their features' mean.
    """

    SCORED = 200  # past pairs the payoff scale is estimated on (the most recent)

    def __init__(self, history: Sequence[PairObservation]) -> None:
        differences = np.stack([o.teacher - o.student for o in history])
        scale = np.sqrt(np.mean(differences**2, axis=0))  # uncentred, so the witness stays odd
        self.scale = np.where(scale > 0, scale, 1.0)
        z = differences / self.scale
        self.direction = z.mean(axis=0)
        self.scaler = _Scaled.by_spread(z[-self.SCORED :] @ self.direction)

    def payoffs(self, observations: Sequence[PairObservation]) -> np.ndarray:
        z = np.stack([o.teacher - o.student for o in observations]) / self.scale
        return self.scaler.payoffs(z @ self.direction)

    def advantages(self, observations: Sequence[PairObservation]) -> None:
        return None


class KernelWitness:
    """The MMD witness h(z) = mean k(z, past teachers) - mean k(z, past students); f ∝ h(teacher) - h(student).

    The online form of the paired MMD test of `distillscope.indist.mmd`: summed
    over time its raw values are the paired MMD² statistic's terms. Gaussian
    kernel on features scaled per dimension by their spread in past answers
    (style counts and embedding coordinates on one footing), bandwidth by the
    median heuristic on past answers.
    """

    SCORED = 200  # past pairs the payoff scale is estimated on (the most recent)
    MEDIAN_OF = 300  # past answers the bandwidth is estimated on

    def __init__(self, history: Sequence[PairObservation]) -> None:
        teacher = np.stack([o.teacher for o in history])
        student = np.stack([o.student for o in history])
        spread = np.vstack([teacher, student]).std(axis=0)
        self.unit = np.where(spread > 0, spread, 1.0)
        self.teacher, self.student = teacher / self.unit, student / self.unit
        recent = np.vstack([self.teacher[-(self.MEDIAN_OF // 2) :], self.student[-(self.MEDIAN_OF // 2) :]])
        distances = _squared_distances(recent, recent)[np.triu_indices(len(recent), k=1)]
        positive = distances[distances > 0]
        self.bandwidth = float(np.median(positive)) if len(positive) else 1.0
        n, scored_t, scored_s = len(history), self.teacher[-self.SCORED :], self.student[-self.SCORED :]
        raw = self._raw(scored_t, scored_s)
        own = np.exp(-np.sum((scored_t - scored_s) ** 2, axis=1) / self.bandwidth)
        self.scaler = _Scaled.by_spread((n * raw - 2 * (1 - own)) / (n - 1))  # each pair's own kernel terms taken out

    def _witness(self, points: np.ndarray) -> np.ndarray:
        k_teacher = np.exp(-_squared_distances(points, self.teacher) / self.bandwidth)
        k_student = np.exp(-_squared_distances(points, self.student) / self.bandwidth)
        return k_teacher.mean(axis=1) - k_student.mean(axis=1)

    def _raw(self, teacher: np.ndarray, student: np.ndarray) -> np.ndarray:
        """In the scaled units."""
        return self._witness(teacher) - self._witness(student)

    def payoffs(self, observations: Sequence[PairObservation]) -> np.ndarray:
        teacher = np.stack([o.teacher for o in observations]) / self.unit
        student = np.stack([o.student for o in observations]) / self.unit
        return self.scaler.payoffs(self._raw(teacher, student))

    def advantages(self, observations: Sequence[PairObservation]) -> None:
        return None


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.maximum(np.sum(a**2, axis=1)[:, None] + np.sum(b**2, axis=1)[None, :] - 2 * a @ b.T, 0.0)


class MixedWitness:
    """Several witnesses side by side: one payoff column each (the bettor splits its wealth over them); the logistic
    answer adversary, when present, gives the advantage scores."""

    def __init__(self, witnesses: Sequence[Witness]) -> None:
        self.witnesses = list(witnesses)

    def payoffs(self, observations: Sequence[PairObservation]) -> np.ndarray:
        return np.column_stack([np.asarray(w.payoffs(observations), dtype=float) for w in self.witnesses])

    def advantages(self, observations: Sequence[PairObservation]) -> Sequence[float] | np.ndarray | None:
        return self.witnesses[-1].advantages(observations)


class MixtureWitnessFitter:
    """A `WitnessFitter` with three columns: mean difference and kernel (from 2 pairs on), logistic (from min_pairs on).

    Every witness is fitted on the history it is handed and nothing else.
    """

    columns = 3

    def __init__(self, strength: float = 0.1, advantage: bool = True, min_pairs: int = MIN_PAIRS) -> None:
        self.logistic = logistic_witness(strength, advantage, min_pairs)

    def __call__(self, history: tuple[PairObservation, ...]) -> Witness:
        early = len(history) < 2
        return MixedWitness(
            [NoBet() if early else MeanDifferenceWitness(history), NoBet() if early else KernelWitness(history), self.logistic(history)]
        )


def witness_for(settings: SequentialSettings) -> WitnessFitter:
    """The fitter a `SequentialSettings` asks for."""
    if settings.witness == "logistic":
        return logistic_witness(settings.strength)
    return MixtureWitnessFitter(settings.strength)
