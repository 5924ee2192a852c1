"""Teacher attribution: which candidate, if any, taught a student (METHODS.md section 9).

Signals (`signals.py`, `likelihood.py`, `pos_templates.py`) measure how close
the student is to each candidate, each against the student's base; `ranking.py`
combines them into a ranking and an outcome (a candidate, or none);
`calibration.py` fits the confidence on a zoo of students of known provenance,
leave-one-student-out (`zoo_eval.py`).
"""

from distillscope.attribution.result import (
    AttributionResult,
    CandidateResult,
    SignalScore,
    ZooAttribution,
)

__all__ = ["AttributionResult", "CandidateResult", "SignalScore", "ZooAttribution"]
