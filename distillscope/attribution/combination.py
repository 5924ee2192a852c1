"""How a candidate's per-signal z become the attribution test's one statistic, and that statistic's null sample.

Without a calibration the statistic is the mean z over the test's signals
(`hypothesis.statistic`), whose normal p-value is conservative by construction.
With a null population that also holds taught pairs (each distilled zoo
student's z toward its own teacher, `NullPopulation.taught`), the signals are
weighted by what separates taught from untaught in that zoo, a diagonal
Fisher discriminant:

    statistic = sum_k w_k clip((z_k - m_k) / s_k, ±STD_CLIP),  w_k ∝ max(0, (mean taught z_k - m_k) / s_k)

with m_k, s_k the null's mean and SD of signal k. A signal whose untaught spread
is wide, or that taught students do not move, counts less; no weight is
negative, so moving toward a candidate never counts against it. The clip is in
null SDs, not in z: the mean z's clip at |z| = 5 (`hypothesis.Z_CLIP`), applied
here, capped every signal near two null SDs, so on 372 test prompts (where a
taught student's z reach 8-13) the statistic could not rise above the null far
enough for Holm's first step: detection 0.30 at alpha 0.05 on the dose ladder,
0.70 with the clip in null SDs (same 0 of 18 false accusations). Measured on the
whole dose ladder (benchmarks/attribution_combine.py, leave-one-recipe-out,
160 prompts, the pooled null of the time): detection at budget >= 300 0.60 / 0.80
at alpha 0.05 / 0.10 against 0.40 / 0.60 for the mean, no false accusation among
14 untaught cases at either.

Validity does not rest on the weights being right: the p-value compares the
statistic with the same statistic of untaught cases, each scored by weights
fitted without its own recipe (cross-fitted, `null_sample`), so a null case is
scored as a new student would be. Weights learnt from taught pairs can only
change the power. A null population without taught pairs (written before
2026-12-07, or a zoo with no distilled student) falls back to the mean z.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from distillscope.attribution.hypothesis import statistic

#: a signal whose null SD is below this cannot be standardized (every untaught case at one value): weight 0
MIN_SD = 1e-6
#: each signal's standardized deviation counts at most this many null SDs: a robustness bound (one signal whose
#: standard error collapsed must not outvote the others), far outside where untaught cases lie
STD_CLIP = 4.0
#: a z beyond this is a degenerate margin (no spread over prompts, `evidence.Z_BOUND`), not a scale to learn from:
#: the null's mean and SD are computed on z clipped here
FIT_BOUND = 50.0


@dataclass(frozen=True)
class Combination:
    """The statistic of one (kind, signals): the discriminant weights, or the mean z (`weights` None)."""

    signals: tuple[str, ...]
    mean: np.ndarray | None = None
    sd: np.ndarray | None = None
    weights: np.ndarray | None = None

    def __call__(self, z: dict[str, float], scale: float = 1.0) -> float | None:
        if self.weights is None or self.mean is None or self.sd is None:
            return statistic(z, self.signals, scale)
        present = [i for i, s in enumerate(self.signals) if s in z and self.weights[i] > 0]
        if not present:
            return None
        values = np.array([np.clip(z[self.signals[i]] * scale, -FIT_BOUND, FIT_BOUND) for i in present])
        standardized = np.clip((values - self.mean[present]) / self.sd[present], -STD_CLIP, STD_CLIP)
        w = self.weights[present]
        return float(w @ standardized / w.sum())

    def describe(self) -> str:
        if self.weights is None:
            return "mean z over the signals"
        shown = ", ".join(f"{s} {w:.2f}" for s, w in zip(self.signals, self.weights))
        return f"discriminant-weighted standardized z (weights learnt from the zoo's taught pairs: {shown})"

    def as_dict(self) -> dict[str, float] | None:
        return None if self.weights is None else {s: round(float(w), 4) for s, w in zip(self.signals, self.weights)}


def _matrix(rows: Sequence[dict[str, float]], signals: Sequence[str]) -> np.ndarray:
    """z clipped at FIT_BOUND, NaN where a row lacks a signal."""
    return np.array([[np.clip(r[s], -FIT_BOUND, FIT_BOUND) if s in r else np.nan for s in signals] for r in rows], float).reshape(
        len(rows), len(signals)
    )


def fit_combination(signals: Sequence[str], null: Sequence[dict[str, float]], taught: Sequence[dict[str, float]]) -> Combination:
    """The discriminant weights from untaught (`null`) and taught z; the mean z where there is nothing to learn from."""
    signals = tuple(signals)
    if not taught or len(null) < 3:
        return Combination(signals)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # a signal no row has: NaN, given weight 0 below
        null_matrix = _matrix(null, signals)
        mean = np.nanmean(null_matrix, axis=0)
        sd = np.nanstd(null_matrix, axis=0, ddof=1)
        lift = (np.nanmean(_matrix(taught, signals), axis=0) - mean) / sd
    usable = np.isfinite(mean) & np.isfinite(sd) & (sd > MIN_SD)
    if not usable.any():
        return Combination(signals)
    weights = np.where(usable & np.isfinite(lift), np.clip(lift, 0.0, None), 0.0)
    if weights.sum() <= 0:  # no signal lifts the taught pairs: every standardizable signal alike
        weights = usable.astype(float)
    return Combination(signals, np.where(usable, mean, 0.0), np.where(usable, sd, 1.0), weights / weights.sum())


@dataclass(frozen=True)
class Calibration:
    """One test's calibrated statistic: how it is computed, its null sample, the candidate each null statistic was
    measured toward (`labels`, aligned with `sample`; empty where not recorded) and the untaught cases behind it."""

    combination: Combination
    sample: np.ndarray
    clusters: int
    labels: tuple[str, ...] = ()

    def p_value(self, z: dict[str, float], scale: float = 1.0, candidate: str | None = None) -> float | None:
        u = self.combination(z, scale)
        return None if u is None else self.p_of(u, candidate)

    def p_of(self, u: float, candidate: str | None = None) -> float | None:
        """The p-value of statistic `u` toward `candidate`: against that candidate's own untaught cases where the zoo
        has enough of them (`hypothesis.candidate_p`), else against them all."""
        from distillscope.attribution.hypothesis import candidate_p

        if self.clusters < 3:
            return None
        return candidate_p(u, self.sample, self.labels, candidate, self.clusters)

    def own_cases(self, candidate: str | None) -> int:
        """How many untaught statistics toward `candidate` its p-value is read against: 0 where it is read against
        every candidate's (`hypothesis.own_null` decides, as it does for `p_of`)."""
        from distillscope.attribution.hypothesis import own_null

        own = own_null(self.sample, self.labels, candidate, self.clusters) if self.clusters >= 3 else None
        return 0 if own is None else own.n


def null_sample(
    signals: Sequence[str],
    null: Sequence[tuple[str, dict[str, float]]],
    taught: Sequence[tuple[str, dict[str, float]]],
) -> tuple[Combination, np.ndarray]:
    """(the combination fitted on everything, the null statistics cross-fitted): each (recipe, z) of `null` scored by
    the combination fitted without its recipe's null and taught pairs, NaN where it has no statistic (aligned with
    `null`)."""
    combination = fit_combination(signals, [z for _, z in null], [z for _, z in taught])
    by_recipe = {}
    if combination.weights is not None:
        for recipe in {r for r, _ in null}:
            by_recipe[recipe] = fit_combination(
                signals, [z for r, z in null if r != recipe], [z for r, z in taught if r != recipe]
            )  # fmt: skip
    if any(c.weights is None for c in by_recipe.values()):
        # some recipe's pairs would be scored by the mean z (nothing left to learn from without it) and the rest by
        # weights: one sample on two scales. A zoo that small is tested with the mean z throughout
        combination, by_recipe = Combination(tuple(signals)), {}
    scores = [(by_recipe.get(r) or combination)(z) for r, z in null]
    return combination, np.asarray([np.nan if u is None else u for u in scores], float)
