"""The control ladder's result: its models, how older results read back, and its printable rows.

Kept apart from the scoring (ladder.py) because many floors read a ladder
result (the results file, the verdict, the pipeline's context, the CLI's table)
without running a ladder: they need only these models and readers.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, model_validator

from distillscope.stats import Estimate

__all__ = [
    "RUNGS",
    "LadderResult",
    "MeasureControl",
    "RungScores",
    "Status",
    "ladder_rows",
    "measure_status",
    "status_from_valid",
]

RUNGS = ("self", "resample", "other_prompt")


class RungScores(BaseModel):
    scores: list[float | None]  # aligned with the ladder's prompts
    summary: Estimate
    failures: int  # pairs on this rung that were asked but could not be scored


#: a control's decision: "valid" (the interval clears the threshold), "invalid" (it lies below) or "undecided"
Status = Literal["valid", "invalid", "undecided"]


def status_from_valid(data: Any) -> Any:
    """Results written before the interval rule carry only `valid` (or `status: null`): read as valid / invalid."""
    if isinstance(data, dict) and data.get("status") is None:
        return {**data, "status": "valid" if data.get("valid") else "invalid"}
    return data


class MeasureControl(BaseModel):
    measure: str
    rungs: dict[str, RungScores]
    auc_resample_vs_other: Estimate | None  # mean = AUC, low/high = bootstrap CI over prompts
    auc_self_vs_other: Estimate | None
    valid: bool  # True only when the interval rule says valid (undecided is not valid)
    reason: str
    #: "valid" (lower bound >= threshold), "invalid" (upper bound < threshold) or "undecided" (the interval straddles it);
    #: results written before the interval rule carry only `valid`, read as valid / invalid
    status: Status = "invalid"  # never left at this default: `status_from_valid` sets it from `valid` when absent
    #: P(rung 2 > rung 3 on the same prompt), with a Wilson interval: shown beside the pooled AUC, decides nothing
    within_prompt: Estimate | None = None
    #: pairs the ladder did not ask because the measure could no longer be scored (a CostlyMeasure's early stop)
    calls_saved: int = 0

    @model_validator(mode="before")
    @classmethod
    def _status_from_valid(cls, data: Any) -> Any:
        return status_from_valid(data)


class LadderResult(BaseModel):
    n_prompts: int
    prompt_ids: list[str]
    categories: dict[str, int]
    resample_source: str
    resamples_available: int
    cross_category_mismatches: int
    threshold: float
    measures: dict[str, MeasureControl]

    def invalid(self) -> dict[str, str]:
        """Measure name -> why it is invalid for this run (undecided measures are not listed: see `undecided`)."""
        return {name: control.reason for name, control in self.measures.items() if control.status == "invalid"}

    def undecided(self) -> dict[str, str]:
        """Measure name -> why the ladder could not decide it (its AUC interval straddles the threshold)."""
        return {name: control.reason for name, control in self.measures.items() if control.status == "undecided"}

    def invalid_reason(self, measure: str) -> str | None:
        """Why `measure` failed the ladder; None when it is valid, undecided or was not on the ladder."""
        control = self.measures.get(measure)
        return None if control is None or control.status != "invalid" else (control.reason or "failed the control ladder")

    def undecided_reason(self, measure: str) -> str | None:
        """Why the ladder could not decide `measure`; None when it decided (or did not check) it."""
        control = self.measures.get(measure)
        return None if control is None or control.status != "undecided" else control.reason

    def is_valid(self, measure: str) -> bool | None:
        """True or False for a measure on the ladder, None for one the ladder did not check."""
        control = self.measures.get(measure)
        return None if control is None else control.valid


def ladder_rows(result: LadderResult) -> list[dict[str, str]]:
    """One printable row per measure: rung means, both AUCs with CIs, and the flag."""
    rows = []
    for name, control in result.measures.items():
        fmt = lambda e: e.fmt() if e is not None else "skipped"  # noqa: E731
        rows.append(
            {
                "measure": name,
                **{rung: control.rungs[rung].summary.fmt() if control.rungs[rung].summary.n else "-" for rung in RUNGS},
                "AUC(2 vs 3)": fmt(control.auc_resample_vs_other),
                "AUC(1 vs 3)": fmt(control.auc_self_vs_other),
                "within prompt": fmt(control.within_prompt),
                "valid": {"valid": "yes", "invalid": "INVALID", "undecided": "undecided"}[control.status],
                "reason": control.reason,
            }
        )
    return rows


def measure_status(controls: LadderResult | dict | None, measure: str) -> str:
    """'valid', 'invalid', 'undecided' or 'unchecked' for a measure, from a ladder result or its JSON form (results.json)."""
    if controls is None:
        return "unchecked"
    measures = controls.measures if isinstance(controls, LadderResult) else (controls.get("measures") or {})
    control = measures.get(measure)
    if control is None:
        return "unchecked"
    if isinstance(control, MeasureControl):
        return control.status
    return control.get("status") or ("valid" if control.get("valid") else "invalid")
