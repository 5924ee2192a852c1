"""How often a decision holds on other test sets: the prompts resampled with replacement.

A control attributed to no candidate on the one test set drawn might still be
attributed on another. Each resample redraws the prompts; the per-prompt
signals' margins are recomputed on the drawn prompts (the mean of their
per-prompt differences), and so are the POS template profiles (the strongest
signal: it must vary with the test set too); MMD keeps its value (its
U-statistic is not defined on a draw with repeats). The student's own
leave-one-student-out calibration then decides again. The share
of resamples in which a control is attributed to a candidate is its false
attribution rate over resampled test sets; for a distilled student, the share
naming its true teacher.
"""

from __future__ import annotations

import numpy as np

from distillscope.attribution.calibration import Calibration
from distillscope.attribution.result import AttributionResult
from distillscope.attribution.signals import PER_PROMPT, SignalBank, Skip

RESAMPLES = 200


def _differences(bank: SignalBank, signal: str, student: str, base: str, candidate: str) -> dict[str, float] | None:
    try:
        mine, theirs = bank.per_prompt(signal, student, candidate), bank.per_prompt(signal, base, candidate)
    except Skip:
        return None
    return {pid: mine[pid] - theirs[pid] for pid in mine if pid in theirs}


def resampled_outcomes(
    bank: SignalBank,
    result: AttributionResult,
    student: str,
    base: str,
    calibration: Calibration,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> list[str]:
    """The calibrated choice (a candidate name or "none") on each resampled test set."""
    candidates = [c for c in result.candidates if c.excluded is None]
    point = {
        c.name: {s: (c.signals[s].margin.mean if s in c.signals and c.signals[s].margin else None) for s in calibration.signals}
        for c in candidates
    }
    per_prompt = {
        (c.name, s): _differences(bank, s, student, base, c.name) for c in candidates for s in calibration.signals if s in PER_PROMPT
    }
    pos = None
    if any(values.get("pos") is not None for values in point.values()):  # computed once, so the tagger is there
        pool = [c.name for c in candidates]
        pos = {c.name: bank.pos().margin_on(student, base, c.name, pool) for c in candidates if point[c.name].get("pos") is not None}
    ids = sorted(
        {pid for diffs in per_prompt.values() if diffs for pid in diffs}
        | (set(bank.table.ids(bank.table.rows(student, base))) if pos else set())
    )
    rng = np.random.default_rng([seed, 13])
    out = []
    for _ in range(resamples):
        drawn = rng.choice(ids, len(ids)) if ids else []
        margins = {name: dict(values) for name, values in point.items()}
        for (name, signal), diffs in per_prompt.items():
            values = [diffs[pid] for pid in drawn if pid in diffs] if diffs else []
            margins[name][signal] = float(np.mean(values)) if values else margins[name][signal]
        for name, margin in (pos or {}).items():
            if margins[name].get("pos") is not None and (value := margin(drawn)) is not None:
                margins[name]["pos"] = value
        probabilities = calibration.probabilities(margins)
        out.append(max(probabilities, key=probabilities.get))
    return out
