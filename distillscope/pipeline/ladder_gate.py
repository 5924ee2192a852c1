"""Spend nothing on a judge measure already shown invalid (issue 25): the control ladder's verdict gates the students' judge calls.

The ladder runs before any student is scored, so a judge that cannot tell the
reference's resample from its answer to another prompt costs nothing more:
its calls for the students (one per test pair, plus the swap control's) are
not made, the student's section says why, with the ladder's numbers and the
calls saved, and `--force-invalid` computes it anyway. Only a measure the
ladder showed INVALID (its AUC's upper bound below the threshold) is skipped;
an undecided one is computed and flagged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from distillscope.pipeline.context import AuditContext, StudentContext
    from distillscope.results import Skipped

#: metric -> the judge measure on the control ladder that decides whether it is worth its judge calls
LADDER_GATED = {"rse": "rse"}


def rse_calls(pairs: int, swap_n: int) -> int:
    """Judge calls RSE makes for one student: one per pair, plus the position-bias control's re-judged pairs."""
    return pairs + min(swap_n, pairs)


def ladder_skip(metric: str, run: "AuditContext", student: "StudentContext") -> "Skipped | None":
    """A Skipped entry for a judge metric the control ladder showed invalid (unless force_invalid), else None."""
    measure = LADDER_GATED.get(metric)
    if measure is None or run.controls is None or run.config.force_invalid:
        return None
    why = run.controls.invalid_reason(measure)
    if why is None:
        return None
    from distillscope.results import Skipped

    calls = rse_calls(len(student.test.prompts), run.config.rse.swap_n)
    return Skipped(
        metric=metric,
        reason=f"invalid for this run by the control ladder ({why}); not computed: about {calls} judge calls saved (--force-invalid computes it)",
        calls_saved=calls,
    )
