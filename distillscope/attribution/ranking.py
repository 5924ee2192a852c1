"""From per-signal margins to the closed-set ranking and the test's outcome (a candidate, none, or undecided).

Per signal the candidates are ranked by their margin over the base (by the
student's raw closeness when there is no base): `rankings`. The outcome is
the attribution test's (`hypothesis.py`): per candidate a p-value for "moved
toward it no more than an untaught fine-tune would", Holm across candidates at
the false-accusation rate alpha. The closed-set `ranking` orders the
candidates by the same test statistic: which listed candidate is closest, an
answer that assumes one of them taught the student and is never an accusation.
Without a base nothing is compared: "undecided", with the ranking by mean rank.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np

from distillscope.attribution.hypothesis import ALPHA, MIN_OWN_CASES, normal_p, statistic
from distillscope.attribution.hypothesis import decide as test_decide
from distillscope.attribution.result import (
    AttributionResult,
    CandidateResult,
    CandidateTest,
    SignalScore,
)
from distillscope.attribution.signal_registry import signal_info

if TYPE_CHECKING:
    from distillscope.attribution.combination import Calibration
    from distillscope.attribution.null_population import NullPopulation


def _closeness(score: SignalScore) -> float | None:
    if score.margin is not None and score.margin.mean is not None:
        return score.margin.mean
    if score.value is None or score.value.mean is None:
        return None
    return score.value.mean if signal_info(score.signal).higher_is_closer else -score.value.mean


def rank_signals(candidates: list[CandidateResult], signals: list[str]) -> dict[str, list[str]]:
    """Set each SignalScore's rank (1 = closest) and return, per signal, the names closest first."""
    rankings = {}
    for signal in signals:
        closeness = [(c, _closeness(c.signals[signal])) for c in candidates if signal in c.signals]
        scored = sorted([(c, v) for c, v in closeness if v is not None], key=lambda cv: -cv[1])
        if len(scored) > 1 and len({round(v, 12) for _, v in scored}) == 1:
            scored = []  # every candidate level (a student that is its own base): no order to report
        for position, (candidate, _) in enumerate(scored, start=1):
            candidate.signals[signal].rank = position
        rankings[signal] = [c.name for c, _ in scored]
    return rankings


def margins_of(candidates: list[CandidateResult], signals: list[str]) -> dict[str, dict[str, float | None]]:
    return {c.name: {s: _margin_mean(c.signals.get(s)) for s in signals} for c in candidates}


def _margin_mean(score: SignalScore | None) -> float | None:
    return score.margin.mean if score is not None and score.margin is not None else None


UNCALIBRATED = (
    "uncalibrated: p = 1 - Phi(mean z); H0 'moved toward this candidate no more than toward the other candidates' mean', "
    "conservative by construction (a mean of z's of variance <= 1); this null is not 'untaught': pass --calibration for that"
)


def calibrated_method(n_null: int, clusters: int, statistic: str = "mean z over the signals") -> str:
    return (
        f"calibrated: Student-t predictive p-value of the statistic ({statistic}) among {n_null} statistics of {clusters} "
        f"untaught cases, each candidate against its own where the null holds at least {MIN_OWN_CASES} toward it, else "
        "against all (exact when they are normal and the cases independent)"
    )


def null_scale(null: NullPopulation | None, n: int) -> float:
    """The factor that puts a statistic of `n` paired prompts on its null population's scale: sqrt(n_null / n) where
    the test has more prompts than the null was measured on, else 1.

    A z grows as sqrt(n) with what an untaught fine-tune drifts toward a candidate, so a student tested on more
    prompts than the zoo's would meet a null of smaller statistics: measured on simulated zoos, untaught cases on 9x
    the null's prompts were accused at 0.38 for alpha = 0.05. Scaled down, the drift is on the null's scale and only
    the prompt noise is smaller than the null's, which errs toward "none" (0.00 there). With fewer prompts than the
    null no scaling is needed: the drift and the noise are then both within the null's spread (0.01 at 0.3x)."""
    if null is None or not null.n_prompts or n <= null.n_prompts:
        return 1.0
    return float((null.n_prompts / n) ** 0.5)


def _calibrated_p_values(
    candidates: list[CandidateResult], tests: dict[str, CandidateTest], null: NullPopulation, calibration: Calibration, notes: list[str]
) -> None:
    """Each candidate's p-value against its own untaught cases in the null where the zoo listed that model, else
    against them all (`hypothesis.candidate_p`), and a note saying which was which."""
    own = []
    for c in candidates:
        t = tests[c.name]
        label = null.own_label(c.name, c.spec)
        if label is None and c.name in calibration.labels:
            notes.append(
                f"candidate {c.name} is not the model the null population's {c.name} was ({null.candidates[c.name]}): "
                "tested against every candidate's untaught cases"
            )
        n_own = calibration.own_cases(label)
        if n_own:
            alias = "" if label == c.name else f", as the zoo's {label}"
            own.append(f"{c.name} ({n_own} cases{alias})")
        if t.statistic is not None:
            t.p_value = calibration.p_of(t.statistic, label)
    if own:
        notes.append(f"tested against their own untaught cases in the null: {', '.join(own)}; any other candidate against all")


def decide(
    student: str,
    base: str | None,
    candidates: list[CandidateResult],
    excluded: list[CandidateResult],
    signals: list[str],
    z: dict[str, dict[str, float]] | None = None,
    n_prompts: dict[str, int] | None = None,
    alpha: float = ALPHA,
    null: NullPopulation | None = None,
    null_source: str | None = None,
    exclude_recipe: str | None = None,
    notes: list[str] | None = None,
    looks: int = 1,
    dropped: dict[str, str] | None = None,
) -> AttributionResult:
    """The result: per-signal rankings, each candidate's test from its per-signal z (`z`: candidate -> signal -> z,
    of the specific kind when two or more candidates are listed), Holm's decision and the closed-set ranking."""
    notes = list(notes or [])
    rankings = rank_signals(candidates, signals)
    result = AttributionResult(
        student=student,
        base=base,
        candidates=[],
        outcome="undecided",
        predicted=None,
        rankings=rankings,
        signals=signals,
        notes=notes,
        n_prompts=max((c.n_prompts for c in candidates), default=0),
    )
    notes = result.notes  # the model holds a copy: every note below, and the test's own, go to the result's list
    if base is None or z is None:
        for c in candidates:  # no margins: the mean rank over signals (Borda), higher = closer
            ranks = [rank for s in signals if s in c.signals and (rank := c.signals[s].rank) is not None]
            c.combined = -float(np.mean(ranks)) if ranks else None
        notes.append("no --base: margins need the student's base, so no test can be made; closed-set ranking only (by mean rank)")
    else:
        _test(result, candidates, signals, z, n_prompts or {}, alpha, null, null_source, exclude_recipe, looks, dropped or {})
    order = sorted(candidates, key=lambda c: -(c.combined if c.combined is not None else -np.inf))
    for position, c in enumerate(order, start=1):
        c.rank = position if c.combined is not None else None
    result.ranking = [c.name for c in order if c.combined is not None]
    if base is None and result.ranking:
        result.predicted = None
    result.candidates = order + excluded
    return result


def _test(
    result: AttributionResult,
    candidates: list[CandidateResult],
    signals: list[str],
    z: dict[str, dict[str, float]],
    n_prompts: dict[str, int],
    alpha: float,
    null: NullPopulation | None,
    null_source: str | None,
    exclude_recipe: str | None,
    looks: int,
    dropped: dict[str, str],
) -> None:
    kind: Literal["specific", "raw"] = "specific" if len(candidates) >= 2 else "raw"
    used = [s for s in signals if any(s in z.get(c.name, {}) for c in candidates)]
    for s, why in dropped.items():
        if s in signals:
            result.notes.append(f"{s} left out of the test: {why}")
    if null is not None:
        missing = [s for s in used if s not in null.signals()]
        if missing:
            result.notes.append(f"the null population has no {', '.join(missing)}: left out of the test")
        used = [s for s in used if s not in missing]
    calibration = null.calibration(kind, used, exclude_recipe) if null is not None else None
    tests, scaled = {}, []
    for c in candidates:
        mine = {s: v for s, v in z.get(c.name, {}).items() if s in used}
        n = n_prompts.get(c.name, 0)
        scale = null_scale(null, n)
        u = calibration.combination(mine, scale) if calibration is not None else statistic(mine, scale=scale)
        c.test = tests[c.name] = CandidateTest(kind=kind, z=mine, statistic=u, n_prompts=n)
        c.combined = c.test.statistic
        if scale < 1:
            scaled.append(n)
    if null is not None and scaled:
        n = max(scaled)
        result.notes.append(
            f"the test has {n} paired prompts, its null population {null.n_prompts}: each statistic scaled by "
            f"sqrt({null.n_prompts}/{n}) to the null's size (conservative; a zoo with as many test prompts tests with full power)"
        )
    n_null, described, clusters = None, None, 0
    if null is not None and calibration is not None:
        sample, clusters = calibration.sample, calibration.clusters
        n_null, described = len(sample), f"{null_source or null.source}: {null.describe(kind, exclude_recipe)}"
        _calibrated_p_values(candidates, tests, null, calibration, result.notes)
        method = calibrated_method(n_null, clusters, calibration.combination.describe())
    elif kind == "raw":
        method = "uncalibrated, one candidate: no test"
    else:
        for t in tests.values():
            if t.statistic is not None:
                t.p_value = normal_p(t.statistic)
        method = UNCALIBRATED
    outcome, predicted, record = test_decide(tests, alpha, null is not None, method, used, described, n_null, looks)
    record.weights = calibration.combination.as_dict() if calibration is not None else None
    if null is None and kind == "raw":
        first_test = candidates[0].test if candidates else None
        best = first_test.statistic if first_test is not None else None
        moved = f" (the student moved toward it by mean z {best:.1f})" if best is not None else ""
        record.reason = (
            f"one candidate and no calibration{moved}: that cannot be told from fine-tuning toward any fluent model; "
            "list other candidates (--candidate) or pass --calibration"
        )
        outcome, predicted = "undecided", None
    elif null is not None and clusters < 3:
        record.reason = f"the null population has only {clusters} untaught cases for this test (3 needed)"
        outcome, predicted = "undecided", None
    if record.reason:
        result.notes.append(f"undecided: {record.reason}")
    result.outcome, result.predicted, result.test = outcome, predicted, record
    result.calibrated, result.calibration = null is not None, described
    if not result.calibrated:
        result.notes.append("uncalibrated test: pass --calibration (the null population `distillscope attribute --zoo DIR` writes)")
