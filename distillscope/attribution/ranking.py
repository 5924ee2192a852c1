"""From per-signal margins to a ranking, a combined score and an outcome (a candidate, or none).

Per signal the candidates are ranked by their margin over the base (by the
student's raw closeness when there is no base). The combination:

- **calibrated** (a zoo calibration given): the conditional logit of
  `calibration.py`; the outcome is the most probable of {candidates, none}
  and the confidence its probability.
- **uncalibrated**: the mean over signals of each margin's z (margin over its
  bootstrap standard error, clipped to ±5; signals without an interval rank
  but do not vote). A candidate is named only when its mean z reaches
  `Z_NONE`: on average the student is clearly closer to it than the base is,
  *and* closer to it by more than to the other candidates (`specific_z`);
  otherwise "none" (moved toward no candidate) or "undecided" (moved toward
  candidates alike, or only one candidate to compare). No confidence is claimed. Without a base there is nothing
  to compare with, so the outcome is "undecided" and only the ranking is given.
"""

from __future__ import annotations

import numpy as np

from distillscope.attribution.calibration import NONE, Calibration
from distillscope.attribution.result import (
    SIGNAL_INFO,
    AttributionResult,
    CandidateResult,
    SignalScore,
)

Z_NONE = 2.0
Z_CLIP = 5.0


def _closeness(score: SignalScore) -> float | None:
    if score.margin is not None and score.margin.mean is not None:
        return score.margin.mean
    if score.value is None or score.value.mean is None:
        return None
    return score.value.mean if SIGNAL_INFO[score.signal][1] else -score.value.mean


def _margin_se(score: SignalScore | None) -> tuple[float, float] | None:
    margin = score.margin if score is not None else None
    if margin is None or margin.mean is None or margin.low is None or margin.high is None:
        return None
    se = (margin.high - margin.low) / 3.92
    return (margin.mean, se) if se > 0 else None


def margin_z(score: SignalScore) -> float | None:
    found = _margin_se(score)
    return None if found is None else float(np.clip(found[0] / found[1], -Z_CLIP, Z_CLIP))


def specific_z(best: CandidateResult, others: list[CandidateResult], signals: list[str]) -> float | None:
    """Mean over signals of z for (best's margin − the others' mean margin): did the student move toward this
    candidate *more* than toward the others? The standard errors are combined as if independent, which
    overstates them when the candidates' margins move together (conservative)."""
    zs = []
    for s in signals:
        mine, theirs = _margin_se(best.signals.get(s)), [_margin_se(o.signals.get(s)) for o in others]
        if mine is None or not theirs or any(t is None for t in theirs):
            continue
        k = len(theirs)
        gap = mine[0] - sum(t[0] for t in theirs) / k
        se = (mine[1] ** 2 + sum(t[1] ** 2 for t in theirs) / k**2) ** 0.5
        zs.append(float(np.clip(gap / se, -Z_CLIP, Z_CLIP)))
    return float(np.mean(zs)) if zs else None


def rank_signals(candidates: list[CandidateResult], signals: list[str]) -> dict[str, list[str]]:
    """Set each SignalScore's rank (1 = closest) and return, per signal, the names closest first."""
    rankings = {}
    for signal in signals:
        scored = [(c, _closeness(c.signals[signal])) for c in candidates if signal in c.signals]
        scored = sorted([(c, v) for c, v in scored if v is not None], key=lambda cv: -cv[1])
        if len(scored) > 1 and len({round(v, 12) for _, v in scored}) == 1:
            scored = []  # every candidate level (a student that is its own base): no order to report
        for position, (candidate, _) in enumerate(scored, start=1):
            candidate.signals[signal].rank = position
        rankings[signal] = [c.name for c, _ in scored]
    return rankings


def margins_of(candidates: list[CandidateResult], signals: list[str]) -> dict[str, dict[str, float | None]]:
    return {
        c.name: {s: (c.signals[s].margin.mean if s in c.signals and c.signals[s].margin else None) for s in signals} for c in candidates
    }


def _uncalibrated_outcome(
    result: AttributionResult, best: CandidateResult, others: list[CandidateResult], signals: list[str], notes: list[str]
) -> None:
    """The student moved toward `best` (mean z ≥ Z_NONE). Fine-tuning on any fluent answers moves a base toward
    every fluent model, so without a calibration a candidate is named only when the student moved toward it
    more than toward the other candidates; with one candidate that cannot be told, and the outcome is undecided."""
    moved = f"the student moved toward {best.name} (mean z {best.combined:.1f})"
    if not others:
        result.outcome, result.predicted = "undecided", best.name
        notes.append(
            f"{moved}, but with one candidate and no calibration that cannot be told from fine-tuning toward any fluent "
            "model: list other candidates (--candidate) or pass --calibration"
        )
        return
    specific = specific_z(best, others, signals)
    if specific is not None and specific >= Z_NONE:
        result.outcome, result.predicted = "candidate", best.name
        return
    result.outcome, result.predicted = "undecided", best.name
    shown = "no interval to compare" if specific is None else f"mean z {specific:.1f} < {Z_NONE:g}"
    notes.append(f"{moved}, but not more than toward the other candidates ({shown}): which of them, if any, cannot be told")


def decide(
    student: str,
    base: str | None,
    candidates: list[CandidateResult],
    excluded: list[CandidateResult],
    signals: list[str],
    calibration: Calibration | None = None,
    calibration_source: str | None = None,
    notes: list[str] | None = None,
) -> AttributionResult:
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
    if calibration is not None and base is not None:
        missing = [s for s in calibration.signals if s not in signals]
        if missing:
            notes.append(f"the calibration uses signals not computed here ({', '.join(missing)}); they count as 0")
        probabilities = calibration.probabilities(margins_of(candidates, calibration.signals))
        utilities = calibration.utilities(margins_of(candidates, calibration.signals))
        for c in candidates:
            c.combined, c.probability = utilities[c.name], probabilities[c.name]
        best = max(probabilities, key=probabilities.get)
        result.outcome = "none" if best == NONE else "candidate"
        result.predicted = None if best == NONE else best
        result.confidence, result.probability_none = probabilities[best], probabilities[NONE]
        result.calibrated, result.calibration = True, calibration_source
    else:
        for c in candidates:
            if base is not None:
                zs = [z for s in signals if s in c.signals and (z := margin_z(c.signals[s])) is not None]
                c.combined = float(np.mean(zs)) if zs else None
            else:  # no margins: the mean rank over signals (Borda), higher = closer
                ranks = [c.signals[s].rank for s in signals if s in c.signals and c.signals[s].rank is not None]
                c.combined = -float(np.mean(ranks)) if ranks else None
        scored = [c for c in candidates if c.combined is not None]
        best = max(scored, key=lambda c: c.combined, default=None)
        if base is None:
            notes.append(
                "no --base: margins need the student's base, so 'none' cannot be decided; ranking only "
                "(predicted = the closest candidate by mean rank)"
            )
            result.predicted = best.name if best else None
        elif best is not None and best.combined >= Z_NONE:
            _uncalibrated_outcome(result, best, [c for c in scored if c is not best], signals, notes)
        else:
            result.outcome = "none"
        notes.append("confidence uncalibrated: pass --calibration (from `distillscope attribute --zoo DIR`) for one")
    order = sorted(candidates, key=lambda c: -(c.combined if c.combined is not None else -np.inf))
    for position, c in enumerate(order, start=1):
        c.rank = position if c.combined is not None else None
    result.candidates = order + excluded
    result.notes = notes
    return result
