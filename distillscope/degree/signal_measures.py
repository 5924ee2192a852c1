"""Dose measures whose interval is not a mean over prompts: the adversaries' advantage and the paired MMD².

`degree/measures.py`'s measures are per-prompt gains, so a student's value is
their mean and its interval the prompts' standard error. Two of the
distinguishability paper's statistics do not fit that shape:

- an adversary is *trained*, so its per-prompt scores carry its training
  noise on top of the prompts'. As in attribution (issue 31.6) it is refitted
  on `ADVERSARY_SPLITS` fold splits, the per-prompt margins are averaged over
  them, and the between-split variance enters the interval: an interval over
  prompts alone was 20% too narrow;
- MMD² is a U-statistic over pairs of prompts: its per-prompt row sums are
  correlated, and their standard error understates the statistic's by about
  a factor 2. Its interval is the delete-one-prompt jackknife's, which is
  consistent for U-statistics.

Part-of-speech template profiles (`PosGain`, attribution's `pos` signal) are
a corpus statistic too: their interval is attribution's bootstrap over prompts.
The sequential test's queries to reject (`SequentialGain`) is one number per
test set: its interval is the spread over redrawn test sets.

All of them return a `Summary` (value, standard error, no per-prompt values), which
`measure_observations` turns into an observation with a normal interval and a
one-sided p (student closer to the teacher than its base).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from distillscope.stats import Estimate, se_from_interval

if TYPE_CHECKING:
    from distillscope.attribution.answers import AnswerTable
    from distillscope.protocols import TextEmbedder

Answers = Sequence[str | None]


@dataclass(frozen=True)
class Summary:
    """A student's gain toward the teacher over its base, with a standard error that holds every noise source."""

    value: float
    se: float
    n_prompts: int
    #: whether no spread means every prompt moved alike (a sign test applies); not for a statistic over test sets
    per_prompt_spread: bool = True

    def p_closer(self) -> float | None:
        """One-sided normal p that the student is closer to the teacher than its base. With no spread at all (every
        prompt moved by the same amount) the sign test's 0.5^n where it moved toward the teacher; None otherwise."""
        if self.se <= 0:
            return 0.5**self.n_prompts if self.value > 0 and self.per_prompt_spread else None
        return 0.5 * math.erfc(self.value / self.se / math.sqrt(2))


def _kept(teacher: Answers, student: Answers, base: Answers) -> list[int]:
    return [i for i, (t, b) in enumerate(zip(teacher, base)) if t is not None and b is not None]


class _Tables:
    """One answer table per (teacher, base) answers, students added by their answers: what is fitted or tagged on the
    teacher and the base (the base's adversaries, the POS vocabulary) is done once for all students."""

    def __init__(self) -> None:
        self._tables: dict[tuple, tuple[AnswerTable, dict[tuple, str], Any]] = {}

    def get(self, teacher: Answers, student: Answers, base: Answers, prompts: Sequence[dict], make: Any) -> tuple[Any, str]:
        """(the scorer `make(table)` built once per table, the student's name in it)."""
        from distillscope.attribution.answers import AnswerTable
        from distillscope.types import Prompt

        kept = _kept(teacher, student, base)
        key = (tuple(teacher), tuple(base), tuple(kept))
        if key not in self._tables:
            table = AnswerTable(
                prompts=[Prompt(**{"text": f"prompt {i}", **prompts[i]}) for i in kept],
                answers={"teacher": [teacher[i] for i in kept], "base": [base[i] for i in kept]},
            )
            self._tables[key] = (table, {}, make(table))
        table, students, scorer = self._tables[key]
        texts = tuple(student[i] or "" for i in kept)
        if texts not in students:
            students[texts] = f"student-{len(students)}"
            table.answers[students[texts]] = list(texts)
        return scorer, students[texts]


def _from_interval(estimate: Estimate | None, n: int) -> Summary | list[float]:
    """A margin's estimate as a Summary: its 95% interval read back as a standard error (none: no value)."""
    if estimate is None or estimate.mean is None:
        return []
    return Summary(value=float(estimate.mean), se=se_from_interval(estimate.low, estimate.high), n_prompts=n)


class AdversaryGain:
    """The adversary's advantage telling the base's answers from the teacher's, minus the same for the student's
    (positive: the student became harder to tell from the teacher), refitted on several splits."""

    def __init__(self, kind: str, embedder: TextEmbedder | None = None, seed: int = 0) -> None:
        if kind not in ("style", "embed"):
            raise ValueError(f"unknown adversary {kind!r}")
        self.kind, self.embedder, self.seed = kind, embedder, seed
        self._tables = _Tables()

    def __call__(self, teacher: Answers, student: Answers, base: Answers, prompts: Sequence[dict]) -> Summary | list[float]:
        from distillscope.attribution.signals import SignalBank, adversary_margin

        n = len(_kept(teacher, student, base))
        if n < 8:
            return []  # the cross-fitted adversary needs 8 prompts: no value, never a made-up one
        make = lambda table: SignalBank(table, self.embedder, families={}, seed=self.seed)  # noqa: E731
        bank, name = self._tables.get(teacher, student, base, prompts, make)
        return _from_interval(adversary_margin(bank, self.kind, name, "base", "teacher"), n)


class PosGain:
    """Part-of-speech template profiles (attribution's `pos` signal): the student's closeness to the teacher minus
    the base's, the profiles centred on the teacher's and the base's mean, with its bootstrap over prompts."""

    def __init__(self) -> None:
        self._tables = _Tables()

    def __call__(self, teacher: Answers, student: Answers, base: Answers, prompts: Sequence[dict]) -> Summary | list[float]:
        from distillscope.attribution.pos_templates import TemplateProfiles

        n = len(_kept(teacher, student, base))
        if n < 4:
            return []
        profiles, name = self._tables.get(teacher, student, base, prompts, TemplateProfiles)
        return _from_interval(profiles.score(name, "base", "teacher", ["teacher", "base"]).margin, n)


class SequentialGain:
    """Queries the distinguishability paper's sequential test needs to tell the student from the teacher, minus the
    queries it needs for the base (positive: the student takes longer to tell apart, so it is closer).

    The test stops at its first rejection (anytime-valid); one that never rejects within the stored prompts counts
    as n + 1 (censored). Its value is the mean over `replicates` redrawn test sets (prompts drawn with replacement,
    each in its own order, the same draws for the student and the base), and its standard error the spread of
    those replicates: the bootstrap's, which holds the prompts and their order."""

    def __init__(self, features: str = "style", embedder: TextEmbedder | None = None, replicates: int = 20, seed: int = 0) -> None:
        self.features, self.embedder, self.replicates, self.seed = features, embedder, replicates, seed
        self._base: dict[tuple, np.ndarray] = {}

    def __call__(self, teacher: Answers, student: Answers, base: Answers, prompts: Sequence[dict]) -> Summary | list[float]:
        from distillscope.indist.sequential import featurizer

        kept = _kept(teacher, student, base)
        if len(kept) < 8:
            return []
        featurize = featurizer(self.features, self.embedder)
        t = featurize([teacher[i] or "" for i in kept])
        key = (tuple(teacher), tuple(base), tuple(kept))
        if key not in self._base:
            self._base[key] = self._queries(t, featurize([base[i] or "" for i in kept]))
        gains = self._queries(t, featurize([student[i] or "" for i in kept])) - self._base[key]
        return Summary(value=float(gains.mean()), se=float(gains.std(ddof=1)), n_prompts=len(kept), per_prompt_spread=False)

    def _queries(self, teacher: np.ndarray, other: np.ndarray) -> np.ndarray:
        from distillscope.indist.betting import SequentialSettings
        from distillscope.indist.sequential_sim import run_on_pairs

        n = len(teacher)
        settings = SequentialSettings(max_queries=n, features="style")  # the features are computed here already
        rng = np.random.default_rng([self.seed, n])
        out = np.empty(self.replicates)
        for r in range(self.replicates):
            drawn = rng.integers(0, n, n)
            test = run_on_pairs(teacher[drawn], other[drawn], settings, stop_at_rejection=True)
            out[r] = test.trajectory[-1].queries if test.rejected else n + 1
        return out


class MMDGain:
    """Paired MMD² between the base's and the teacher's answer embeddings minus the student's (positive: closer).

    One Gaussian kernel per (teacher, base), its bandwidth the median distance over their pooled answers, so
    every student is measured on one scale (a bandwidth per student would move with the student)."""

    def __init__(self, embedder: TextEmbedder) -> None:
        self.embedder = embedder
        self._fixed: dict[tuple, tuple[np.ndarray, np.ndarray, float]] = {}

    def __call__(self, teacher: Answers, student: Answers, base: Answers, prompts: Sequence[dict]) -> Summary | list[float]:
        kept = _kept(teacher, student, base)
        if len(kept) < 4:
            return []
        t, b, bandwidth = self._teacher_and_base(teacher, base, kept)
        s = np.asarray(self.embedder.embed([student[i] or "" for i in kept]), float)
        difference = _paired_h(t, b, bandwidth) - _paired_h(t, s, bandwidth)  # h_ij(base) - h_ij(student)
        return _jackknifed_u_statistic(difference)

    def _teacher_and_base(self, teacher: Answers, base: Answers, kept: list[int]) -> tuple[np.ndarray, np.ndarray, float]:
        key = (tuple(teacher), tuple(base), tuple(kept))
        if key not in self._fixed:
            t = np.asarray(self.embedder.embed([teacher[i] or "" for i in kept]), float)
            b = np.asarray(self.embedder.embed([base[i] or "" for i in kept]), float)
            pooled = _squared_distances(np.vstack([t, b]), np.vstack([t, b]))
            upper = pooled[np.triu_indices(len(pooled), k=1)]
            positive = upper[upper > 0]
            self._fixed[key] = (t, b, float(np.median(positive)) if len(positive) else 1.0)
        return self._fixed[key]


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.maximum(np.sum(a**2, axis=1)[:, None] + np.sum(b**2, axis=1)[None, :] - 2 * a @ b.T, 0.0)


def _paired_h(t: np.ndarray, x: np.ndarray, bandwidth: float) -> np.ndarray:
    """h_ij = k(t_i,t_j) + k(x_i,x_j) - k(t_i,x_j) - k(t_j,x_i), diagonal 0: the paired MMD² is its mean off the diagonal."""
    kernel = lambda a, b: np.exp(-_squared_distances(a, b) / bandwidth)  # noqa: E731
    cross = kernel(t, x)
    h = kernel(t, t) + kernel(x, x) - cross - cross.T
    np.fill_diagonal(h, 0.0)
    return h


def _jackknifed_u_statistic(h: np.ndarray) -> Summary:
    """The mean of a symmetric zero-diagonal matrix off its diagonal, with its delete-one-prompt jackknife error."""
    n = len(h)
    total = float(h.sum())
    value = total / (n * (n - 1))
    without = (total - 2 * h.sum(axis=1)) / ((n - 1) * (n - 2))  # prompt k's row and column removed
    se = math.sqrt((n - 1) / n * float(np.sum((without - without.mean()) ** 2)))
    return Summary(value=value, se=se, n_prompts=n)
