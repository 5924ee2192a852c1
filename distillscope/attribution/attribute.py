"""Attribute one student: every signal for every candidate, then the ranking and the outcome.

A candidate that is the student's own base is no candidate teacher (the
student starts there): it is listed with that reason and never ranked.
"""

from __future__ import annotations

from collections.abc import Sequence

from distillscope.attribution.calibration import Calibration, CalibrationCase
from distillscope.attribution.ranking import decide, margins_of
from distillscope.attribution.result import (
    DEFAULT_SIGNALS,
    SIGNALS,
    AttributionResult,
    CandidateResult,
    SignalScore,
)
from distillscope.attribution.signals import SignalBank, score
from distillscope.errors import UserError


def parse_signals(value: str | None, leave_out: Sequence[str] = ()) -> list[str]:
    """`--signals a,b` (default: all but likelihood), less `--leave-out` ones; unknown names are a one-line error."""
    names = [s.strip() for s in (value or ",".join(DEFAULT_SIGNALS)).split(",") if s.strip()]
    unknown = [s for s in [*names, *leave_out] if s not in SIGNALS]
    if unknown or not names:
        raise UserError(f"unknown signal '{', '.join(unknown) or value}'", f"choose from {','.join(SIGNALS)}")
    chosen = [s for s in names if s not in leave_out]
    if not chosen:
        raise UserError("every signal was left out", "leave out fewer signals")
    return chosen


def same_model(a: str, b: str) -> bool:
    """One model under two backends or option sets (builtin/X and hf/X?weights=...): the same weights' name."""
    from distillscope.models.spec import ModelSpec

    return ModelSpec.parse(a).name == ModelSpec.parse(b).name


def attribute(
    bank: SignalBank,
    student: str,
    candidates: dict[str, str],
    base: str | None = None,
    base_spec: str | None = None,
    signals: Sequence[str] = DEFAULT_SIGNALS,
    calibration: Calibration | None = None,
    calibration_source: str | None = None,
    student_spec: str | None = None,
) -> AttributionResult:
    """`candidates` maps a name to its spec; `student`, `base` and the names are columns of the bank's table."""
    signals = list(signals)
    kept, excluded = [], []
    for name, spec in candidates.items():
        family = bank.families.get(name)
        if name == base or (base_spec is not None and same_model(spec, base_spec)):
            reason = "the student's own base: not a candidate teacher"
            excluded.append(
                CandidateResult(
                    name=name, spec=spec, family=family, excluded=reason, signals={s: SignalScore(signal=s, status=reason) for s in signals}
                )
            )
            continue
        kept.append((name, spec, family))
    pool = [name for name, _, _ in kept]
    results = []
    for name, spec, family in kept:
        rows = bank.table.rows(student, name, *([base] if base else []))
        results.append(
            CandidateResult(
                name=name,
                spec=spec,
                family=family,
                n_prompts=len(rows),
                signals={s: score(bank, s, student, base, name, pool) for s in signals},
            )
        )
    notes = []
    skipped = {s: sorted({c.signals[s].status for c in results if c.signals[s].status}) for s in signals}
    for s, reasons in skipped.items():
        for reason in reasons:
            who = [c.name for c in results if c.signals[s].status == reason]
            notes.append(f"{s} skipped for {', '.join(who)}: {reason}")
    return decide(student_spec or student, base_spec or base, results, excluded, signals, calibration, calibration_source, notes)


def calibration_case(result: AttributionResult, student: str, true_teacher: str | None) -> CalibrationCase:
    """The margins a calibration is fitted on (excluded candidates left out: they were never in the choice set)."""
    ranked = [c for c in result.candidates if c.excluded is None]
    return CalibrationCase(student=student, margins=margins_of(ranked, result.signals), true_teacher=true_teacher)


def redecide(
    result: AttributionResult, signals: Sequence[str], calibration: Calibration | None, calibration_source: str | None
) -> AttributionResult:
    """The same signal values decided again (another calibration, or fewer signals): nothing is recomputed."""
    copy = result.model_copy(deep=True)
    kept = [c for c in copy.candidates if c.excluded is None]
    for c in kept:
        c.signals = {s: v for s, v in c.signals.items() if s in signals}
        c.combined = c.probability = c.rank = None
    excluded = [c for c in copy.candidates if c.excluded is not None]
    notes = [n for n in copy.notes if not n.startswith(("confidence uncalibrated", "no --base"))]
    return decide(copy.student, copy.base, kept, excluded, list(signals), calibration, calibration_source, notes)
