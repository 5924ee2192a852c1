"""Typed boundaries of the degree estimator: one observation per (student, measure), the estimate, a curve summary."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

#: where the student lies against the calibrated curve
RangeStatus = Literal["within", "no_evidence", "above_max"]
Series = Literal["budget", "fraction"]


class DoseObservation(BaseModel):
    """One student's value of one measure, with its known dose (the calibration zoo) or none (the student to estimate).

    `budget` is the number of training answers, `fraction` the share of them that came from the teacher, so the
    teacher-answer count is `budget * fraction`; a base has budget 0; a control trained on reference answers only has
    fraction 0."""

    student: str
    recipe: str
    seed: int = 0
    budget: int = 0
    fraction: float = 1.0
    measure: str
    value: float
    ci_low: float | None = None
    ci_high: float | None = None
    #: the paired test's p against the base, where one was run
    p: float | None = None
    #: the measure's per-prompt values (same prompt order for every student), for resampling prompts
    per_prompt: list[float] | None = None

    @property
    def teacher_answers(self) -> float:
        return self.budget * self.fraction


class DegreeEstimate(BaseModel):
    """The student's dose on one series: the point, a 95% interval, and where it lies against the calibrated range."""

    series: Series
    #: budget series: log(1 + teacher answers); fraction series: the fraction
    point: float
    low: float
    high: float
    status: RangeStatus
    #: the calibrated doses (same scale as `point`) the curve was fitted over
    calibrated_min: float
    calibrated_max: float
    #: residual spread of the calibration students around the curve (measure units)
    residual_sd: float
    #: the seed-to-seed SD of one student around the curve that the interval carries (measure units): the zoo's
    #: training noise or the residual spread, the larger (None: written before it was recorded)
    seed_sd: float | None = None
    calibration_students: list[str]
    message: str

    @property
    def teacher_answers(self) -> tuple[float, float, float]:
        """(point, low, high) as a teacher-answer count (budget series only)."""
        import math

        return math.expm1(self.point), math.expm1(self.low), math.expm1(self.high)


class DegreeResult(BaseModel):
    version: int = 1
    student: str
    teacher: str
    base: str
    measure: str
    value: float
    budget: DegreeEstimate | None = None
    fraction: DegreeEstimate | None = None
    #: students left out of the calibration because they share the student's recipe or seed (never fitted on them)
    left_out: list[str] = []
    resamples: int = 0


class DoseCurveSummary(BaseModel):
    """One measure against dose over a zoo (budget series, teacher-answer counts)."""

    measure: str
    kendall_tau: float | None
    tau_low: float | None
    tau_high: float | None
    #: smallest teacher-answer count at which the paired test rejected against the base in >= `detection_share` of seeds
    detection_limit: float | None
    detection_share: float = 0.8
    saturates: bool
    #: smallest dose whose mean is within the seed spread of the top dose's mean (None: no saturation)
    saturation_dose: float | None
    #: (dose, mean value, share of seeds rejecting) per calibrated dose, ascending
    points: list[tuple[float, float, float | None]]
    n_students: int
