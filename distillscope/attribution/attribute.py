"""Attribute one student: every signal for every candidate, then the ranking and the outcome.

A candidate that is the student's own base is no candidate teacher (the
student starts there): it is listed with that reason and never ranked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from distillscope.attribution.hypothesis import ALPHA
from distillscope.attribution.ranking import decide
from distillscope.attribution.result import (
    DEFAULT_SIGNALS,
    AttributionResult,
    CandidateResult,
    SignalScore,
)
from distillscope.attribution.signal_registry import signal_names
from distillscope.attribution.signals import SignalBank, score
from distillscope.errors import UserError

if TYPE_CHECKING:
    from distillscope.attribution.evidence import Evidence
    from distillscope.attribution.null_population import NullPopulation


def parse_signals(value: str | None, leave_out: Sequence[str] = ()) -> list[str]:
    """`--signals a,b` (default: all but likelihood), less `--leave-out` ones; unknown names are a one-line error."""
    names = [s.strip() for s in (value or ",".join(DEFAULT_SIGNALS)).split(",") if s.strip()]
    known = signal_names()  # the built-ins, then installed plugins' (entry-point group distillscope.attribution_signals)
    unknown = [s for s in [*names, *leave_out] if s not in known]
    if unknown or not names:
        raise UserError(f"unknown signal '{', '.join(unknown) or value}'", f"choose from {','.join(known)}")
    chosen = [s for s in names if s not in leave_out]
    if not chosen:
        raise UserError("every signal was left out", "leave out fewer signals")
    return chosen


def same_model(a: str, b: str) -> bool:
    """One model under two backends or option sets (builtin/X and hf/X?weights=...): the same weights' name."""
    from distillscope.models.spec import ModelSpec

    return ModelSpec.parse(a).name == ModelSpec.parse(b).name


def attribute_with_evidence(
    bank: SignalBank,
    student: str,
    candidates: dict[str, str],
    base: str | None = None,
    base_spec: str | None = None,
    signals: Sequence[str] = DEFAULT_SIGNALS,
    null: NullPopulation | None = None,
    null_source: str | None = None,
    student_spec: str | None = None,
    alpha: float = ALPHA,
    exclude_recipe: str | None = None,
    looks: int = 1,
) -> tuple[AttributionResult, Evidence | None]:
    """Attribution of one student: `candidates` maps a name to its spec; `student`, `base` and the names are columns of
    the bank's table. Returns the result and the per-prompt evidence its test rests on (None without a base), for
    re-deciding it later."""
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
    skipped = {s: sorted({status for c in results if (status := c.signals[s].status)}) for s in signals}
    for s, reasons in skipped.items():
        for reason in reasons:
            who = [c.name for c in results if c.signals[s].status == reason]
            notes.append(f"{s} skipped for {', '.join(who)}: {reason}")
    evidence = z = counts = None
    if base is not None and pool:
        from distillscope.attribution.evidence import gather

        evidence = gather(bank, student, base, pool, signals)
        z, _ = evidence.z("specific" if len(pool) >= 2 else "raw")
        counts = evidence_counts(evidence)
    result = decide(
        student_spec or student,
        base_spec or base,
        results,
        excluded,
        signals,
        z=z,
        n_prompts=counts,
        alpha=alpha,
        null=null,
        null_source=null_source,
        exclude_recipe=exclude_recipe,
        notes=notes,
        looks=looks,
        dropped=evidence.dropped if evidence else None,
    )
    return result, evidence


def evidence_counts(evidence: Evidence) -> dict[str, int]:
    """Per candidate, the paired prompts its test statistic rests on (the most over the test's per-prompt signals)."""
    import numpy as np

    counts = {c: 0 for c in evidence.candidates}
    for values in evidence.per_prompt.values():
        present = (~np.isnan(values[0])).sum(axis=0)
        for c, n in zip(evidence.candidates, present):
            counts[c] = max(counts[c], int(n))
    if evidence.corpus:
        for c in counts:
            counts[c] = max(counts[c], len(evidence.ids))
    return counts


def redecide(
    result: AttributionResult,
    signals: Sequence[str],
    alpha: float = ALPHA,
    null: NullPopulation | None = None,
    null_source: str | None = None,
    exclude_recipe: str | None = None,
    z: dict[str, dict[str, float]] | None = None,
) -> AttributionResult:
    """The same per-signal z decided again (another alpha, null population or fewer signals): nothing is recomputed.
    `z` replaces the stored z (e.g. those of a resampled test set)."""
    copy = result.model_copy(deep=True)
    kept = [c for c in copy.candidates if c.excluded is None]
    stored = z if z is not None else {c.name: dict(c.test.z) for c in kept if c.test is not None}
    counts = {c.name: c.test.n_prompts for c in kept if c.test is not None}
    for c in kept:
        c.signals = {s: v for s, v in c.signals.items() if s in signals}
        c.combined = c.rank = c.test = None
    excluded = [c for c in copy.candidates if c.excluded is not None]
    notes = [n for n in copy.notes if " skipped for " in n]
    z = {name: {s: v for s, v in values.items() if s in signals} for name, values in stored.items()} if copy.base else None
    return decide(copy.student, copy.base, kept, excluded, list(signals), z, counts, alpha, null, null_source, exclude_recipe, notes)
