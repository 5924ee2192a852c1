"""Teacher attribution: which candidate, if any, taught a student (METHODS.md section 9).

Signals (`signals.py`, `likelihood.py`, `pos_templates.py`) measure how close
the student is to each candidate, each against the student's base;
`evidence.py` turns them into paired per-prompt z's; `hypothesis.py` tests,
per candidate, "moved toward it no more than an untaught fine-tune would" and
corrects across candidates (Holm) at the false-accusation rate alpha;
`null_population.py` holds the calibration population a zoo measures
(`zoo_eval.py`, leave-one-recipe-out); `ranking.py` keeps the closed-set
ranking apart from the test's outcome.
"""

from distillscope.attribution.result import (
    AttributionResult,
    AttributionTest,
    CandidateResult,
    CandidateTest,
    SignalScore,
    ZooAttribution,
)

__all__ = ["AttributionResult", "AttributionTest", "CandidateResult", "CandidateTest", "SignalScore", "ZooAttribution"]
