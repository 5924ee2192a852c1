"""Attribution as a hypothesis test: name a teacher only at a stated false-accusation rate alpha.

For each candidate T the test's H0 is "the student moved toward T no more than
an untaught fine-tune of the same base would". The statistic combines the test's
signals' paired z of the student's margin toward T (`evidence.py`: "specific",
toward T more than toward the other candidates, when two or more are listed):
their mean (`statistic`), or with a calibration that holds taught pairs their
discriminant-weighted standardized sum (`combination.py`). Its p-value:

- **calibrated** (a null population from a zoo, `null_population.py`): the
  statistic against the same statistic of cases no listed candidate taught
  (trained controls and students with their teacher left out), as a Student-t
  predictive p-value: (U − mean) / (sd · √(1 + 1/n)) ~ t(n − 1), exact when
  the null statistics are normal. The rank (conformal) p-value cannot go below
  1/(n + 1), which at a zoo's n ≈ 40 null cases and Holm over 3 candidates
  cannot reach α/3.
- **uncalibrated**: 1 − Φ(U). Under the stated null (on every signal the
  student moved toward T no more than toward the other candidates' mean) each
  z has mean ≤ 0 and variance ≤ 1, so their mean has variance ≤ 1 whatever
  their correlation: the normal p-value is conservative by construction. That
  null is not "untaught": a control whose new style happens to lie nearer one
  candidate does move toward it more. Only a calibration tests "untaught".
  With one candidate and no calibration nothing separates "moved toward T"
  from "fine-tuned toward fluent answers", and the outcome is undecided.

Holm's step-down corrects across candidates, so the chance of accusing any
untaught candidate stays ≤ α. A sequential run over k looks (more prompts each
time) tests each look at α/k (Bonferroni over looks): valid at any stopping
time within the planned looks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from distillscope.attribution.result import AttributionTest, CandidateTest, Outcome

ALPHA = 0.05
#: below this many paired prompts the normal approximation of the paired z is not trusted: undecided
MIN_PROMPTS = 10
#: each signal's z counts at most this much in the statistic: one signal with a tiny standard error must not outvote
#: the others
Z_CLIP = 5.0


def statistic(z: dict[str, float], signals: Sequence[str] | None = None, scale: float = 1.0) -> float | None:
    """The test statistic: the mean over `signals` (all of them when None) of each z times `scale` (`ranking.null_scale`:
    a test on more prompts than its null population put on the null's scale), clipped at ±Z_CLIP."""
    values = [float(np.clip(v * scale, -Z_CLIP, Z_CLIP)) for s, v in z.items() if signals is None or s in signals]
    return float(np.mean(values)) if values else None


def normal_p(u: float) -> float:
    from scipy.stats import norm

    return float(norm.sf(u))


def predictive_p(u: float, null: np.ndarray, clusters: int | None = None) -> float:
    """One-sided p-value of u as a new draw from the distribution the null sample came from (Student-t prediction).

    `clusters`: the independent units behind the sample (a zoo recipe's seeds and candidates move together), which
    set the degrees of freedom and the mean's share of the prediction variance; default: every value independent."""
    from scipy.stats import t

    n = len(null)
    k = min(n, clusters or n)
    if n < 2:  # no untaught statistic to compare with (every null case lacked the test's signals): never a rejection
        return 1.0
    mean, sd = float(np.mean(null)), float(np.std(null, ddof=1))
    if sd <= 1e-12 or k < 2:
        return 1.0 if u <= mean else 0.0
    return float(t.sf((u - mean) / (sd * (1 + 1 / k) ** 0.5), df=k - 1))


#: a candidate's null is centred on its own untaught cases only where the zoo has at least this many of them toward it
MIN_OWN_CASES = 3


class OwnNull(NamedTuple):
    """A candidate's own untaught statistics as `candidate_p` reads them: their mean and count, the spread and the
    degrees of freedom of the prediction."""

    mean: float
    n: int
    sd: float
    dof: int


def own_null(null: np.ndarray, labels: Sequence[str], candidate: str | None, clusters: int | None = None) -> OwnNull | None:
    """Candidate's own null (see `candidate_p`), or None where the pooled one applies: no candidate or labels, fewer
    than MIN_OWN_CASES statistics toward it, or no degree of freedom left once each candidate's mean is taken."""
    names = np.asarray(labels, dtype=object)
    if candidate is None or len(names) != len(null) or int(np.count_nonzero(names == candidate)) < MIN_OWN_CASES:
        return None
    groups = [null[names == name] for name in set(labels)]
    groups = [g for g in groups if len(g) >= 2]
    residuals = np.concatenate([g - g.mean() for g in groups])
    dof = min(len(null), clusters or len(null)) - len(groups)
    if dof < 1:
        return None
    own = null[names == candidate]
    within = float(np.sqrt(np.sum(residuals**2) / (len(residuals) - len(groups))))
    return OwnNull(float(own.mean()), len(own), max(within, float(np.std(own, ddof=1))), dof)


def candidate_p(u: float, null: np.ndarray, labels: Sequence[str], candidate: str | None, clusters: int | None = None) -> float:
    """One-sided p-value of u toward `candidate`, each candidate's untaught statistics centred on their own mean.

    Candidates draw untaught fine-tunes unequally: on the dose ladder the students of qwen (left out) moved toward
    chatgpt by 0.41 on average and away from smollm2 by 0.69, in units where a taught student reaches 2-3. Pooled, those
    offsets widen every candidate's null. Here the null of candidate T is T's own untaught statistics: u is predicted
    as a new draw around their mean (n_T of them), (u - mean_T) / (s * sqrt(1 + 1/n_T)) ~ t(clusters - groups), s the
    larger of the spread pooled within candidates and T's own: candidates differ in spread (one that resembles a zoo
    teacher collects that teacher's students, far, and the rest, near). Measured on simulated zoos (unequal attraction,
    a teacher's near twin listed; 3,000 untaught cases each), the pooled-within s alone accused 0.055-0.059 at alpha
    0.05, this s 0.040-0.048 (the pooled null 0.037-0.065: 0.065 with the twin). Where T has fewer than MIN_OWN_CASES
    untaught statistics (a candidate the zoo never listed), or no labels were recorded, the pooled `predictive_p`."""
    from scipy.stats import t

    own = own_null(null, labels, candidate, clusters)
    if own is None:
        return predictive_p(u, null, clusters)
    if own.sd <= 1e-12:
        return 1.0 if u <= own.mean else 0.0
    return float(t.sf((u - own.mean) / (own.sd * (1 + 1 / own.n) ** 0.5), df=own.dof))


def holm(p_values: dict[str, float]) -> dict[str, float]:
    """Holm-adjusted p-values (step-down, monotone): reject where adjusted ≤ alpha."""
    order = sorted(p_values, key=lambda name: p_values[name])
    m, running, out = len(order), 0.0, {}
    for i, name in enumerate(order):
        running = max(running, min(1.0, (m - i) * p_values[name]))
        out[name] = running
    return out


def decide(
    tests: dict[str, CandidateTest],
    alpha: float,
    calibrated: bool,
    method: str,
    signals: list[str],
    null_population: str | None = None,
    n_null: int | None = None,
    looks: int = 1,
) -> tuple[Outcome, str | None, AttributionTest]:
    """(outcome, predicted, the test's record) from each candidate's p-value: Holm at alpha / looks."""
    record = AttributionTest(
        alpha=alpha, calibrated=calibrated, method=method, null_population=null_population, n_null=n_null, signals=signals, looks=looks
    )
    usable = {name: t.p_value for name, t in tests.items() if t.p_value is not None}
    if not usable:
        record.reason = "no candidate has a test statistic (every test signal skipped)"
        return "undecided", None, record
    n = max(t.n_prompts for t in tests.values())
    if n < MIN_PROMPTS:
        record.reason = f"too few prompts: {n} paired prompts, the test needs at least {MIN_PROMPTS}"
        return "undecided", None, record
    for name, adjusted in holm(usable).items():
        tests[name].p_adjusted = p_adjusted = min(1.0, adjusted * looks)
        tests[name].rejected = p_adjusted <= alpha
    record.rejected = sorted((name for name, t in tests.items() if t.rejected), key=lambda name: usable[name])
    if not record.rejected:
        return "none", None, record
    if len(record.rejected) > 1:
        record.reason = f"several candidates reject alike ({', '.join(record.rejected)}): which of them cannot be told"
        return "undecided", None, record
    return "candidate", record.rejected[0], record


def outcome_at(p_values: dict[str, float], alpha: float, looks: int = 1) -> str | None:
    """The decision at another alpha from the same p-values: the one candidate rejected, "none", or None (several)."""
    rejected = [name for name, p in holm(p_values).items() if p * looks <= alpha]
    if not rejected:
        return "none"
    return rejected[0] if len(rejected) == 1 else None
