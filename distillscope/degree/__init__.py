"""How much a student was distilled: dose curves over a dose zoo and their inversion for a new student.

`curve` fits a monotone dose curve and inverts it; `estimator` turns a
calibration zoo's observations into a `DegreeResult` for one student (never
fitted on the student's own recipe or seed); `dose_curves` summarises each
measure against dose (Kendall's tau, detection limit, saturation);
`observe` measures zoo students and a new student from stored answers.
"""

from distillscope.degree.result import DegreeEstimate, DegreeResult, DoseCurveSummary, DoseObservation

__all__ = ["DegreeEstimate", "DegreeResult", "DoseCurveSummary", "DoseObservation"]
