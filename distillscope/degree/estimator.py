"""The degree estimate: invert each series' dose curve at the student's value, with an interval.

Two series, each its own curve:

- budget: students trained on teacher answers only, x = log(1 + teacher answers), the base at x = 0;
- fraction: students at the mixture budget, x = the teacher's share of their training answers, the control
  trained on reference answers only at x = 0.

Never fitted on the student: every calibration student of the student's
recipe is left out (its seed siblings share everything but the seed), and so
is every trained student of the student's seed (students of one seed share
one nested acquisition of training prompts, a channel through which the held
out seed would leak). Untouched bases share nothing with a seed and stay in.

The interval redraws every noise source: the calibration students within each
dose (seeds, with replacement), the test prompts (one joint draw for every
student, since all answered the same prompts; from each value's CI where the
per-prompt values are absent), and the seed-to-seed spread of a single
student around the curve, which the student's own prompt resampling cannot
see: the training noise measured on the calibration's seed pairs
(`seed_noise.py`), for one student against a curve of m seeds
sqrt(training / 2 * (1 + 1/m)), or the curve's residual sd where that is
larger. (The residual sd alone was too small where the curve has one seed
left at a dose, since an isotonic fit passes through it: on the 372-prompt
dose ladder the intervals of students left out by seed covered 0.86 and 0.78
of the true doses.) It also carries the curve's unknown shape
between rungs: half the RMS dose error of predicting each interior rung from
the curve without it (`_interpolation_sd`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from distillscope.degree.curve import DoseCurve
from distillscope.degree.result import DegreeEstimate, DegreeResult, DoseObservation, RangeStatus, Series
from distillscope.degree.seed_noise import SeedNoise, seed_noise
from distillscope.stats import se_from_interval

RESAMPLES = 400


def left_out_for(calibration: Sequence[DoseObservation], student: DoseObservation, recipe: bool = True) -> list[str]:
    """Calibration students the estimate of `student` must not see: its recipe (unless `recipe` is False: only its
    seed then), and trained students of its seed."""
    return sorted(
        {
            c.student
            for c in calibration
            if c.student == student.student
            or (recipe and student.recipe and c.recipe == student.recipe)
            or (c.budget > 0 and c.seed == student.seed and student.budget > 0)
        }
    )


def mixture_budget(calibration: Sequence[DoseObservation]) -> int | None:
    """The budget of the mixture series: the one shared by the students whose fraction is below 1."""
    budgets = [c.budget for c in calibration if c.fraction < 1 and c.budget > 0]
    return max(set(budgets), key=budgets.count) if budgets else None


def series_points(calibration: Sequence[DoseObservation], series: Series) -> list[tuple[float, DoseObservation]]:
    """(x, observation) of the students on one series."""
    if series == "budget":
        return [(math.log1p(c.teacher_answers), c) for c in calibration if c.budget == 0 or c.fraction == 1]
    budget = mixture_budget(calibration)
    return [(c.fraction, c) for c in calibration if budget is not None and c.budget == budget]


def true_dose(observation: DoseObservation, series: Series) -> float:
    return math.log1p(observation.teacher_answers) if series == "budget" else observation.fraction


def _value_draws(
    rows: Sequence[DoseObservation], student: DoseObservation, resamples: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(calibration values, student value) per resample, prompts redrawn jointly where per-prompt values exist."""
    everyone = list(rows) + [student]
    lengths = {len(o.per_prompt) for o in everyone if o.per_prompt}
    joint = len(lengths) == 1 and all(o.per_prompt for o in everyone)
    draws = np.empty((resamples, len(everyone)))
    if joint:
        table = np.array([o.per_prompt for o in everyone], float)
        n = table.shape[1]
        for b in range(resamples):
            draws[b] = table[:, rng.integers(0, n, n)].mean(axis=1)
    else:
        for j, o in enumerate(everyone):
            draws[:, j] = o.value + rng.normal(0.0, se_from_interval(o.ci_low, o.ci_high), resamples)
    return draws[:, :-1], draws[:, -1]


def estimate_series(
    calibration: Sequence[DoseObservation],
    student: DoseObservation,
    series: Series,
    resamples: int = RESAMPLES,
    seed: int = 0,
    noise: SeedNoise | None = None,
) -> DegreeEstimate | None:
    """The student's dose on `series` (None when the calibration has fewer than two doses on it). `noise`: the zoo's
    training noise (`noise_for`); default: measured on `calibration`, which has no seed pair left when a seed was
    held out of a two-seed zoo."""
    points = series_points(calibration, series)
    xs = np.array([x for x, _ in points])
    if len(np.unique(xs)) < 2:
        return None
    rows = [o for _, o in points]
    curve = DoseCurve.fit(xs, [o.value for o in rows])
    low_x, high_x = float(xs.min()), float(xs.max())
    floor = 0.0  # below the curve's bottom: no teacher answers at all, whether or not dose 0 was calibrated

    def invert(c: DoseCurve, value: float) -> float:
        return floor if value < c.bottom else c.invert(value)

    rng = np.random.default_rng(seed)
    calibration_draws, student_draws = _value_draws(rows, student, resamples, rng)
    seed_sd = _seed_sd(noise or seed_noise(calibration), xs, curve)
    estimates = np.empty(resamples)
    by_dose = {x: np.flatnonzero(xs == x) for x in np.unique(xs)}
    for b in range(resamples):
        chosen = np.concatenate([rng.choice(idx, len(idx)) for idx in by_dose.values()])  # seeds redrawn within each dose
        redrawn = DoseCurve.fit(xs[chosen], calibration_draws[b, chosen])
        estimates[b] = invert(redrawn, student_draws[b] + rng.normal(0.0, seed_sd))
    spread = _interpolation_sd(xs, np.array([o.value for o in rows]))
    if spread > 0:  # the curve's shape between rungs is unknown: the interval carries that too
        estimates = np.clip(estimates + rng.normal(0.0, spread, resamples), floor, high_x)
    point = invert(curve, student.value)
    low, high = (float(v) for v in np.percentile(estimates, [2.5, 97.5]))
    low, high = min(low, point), max(high, point)
    status: RangeStatus
    if student.value > curve.top:
        status, message = "above_max", f"outside the calibrated range: > max calibrated dose ({_show(high_x, series)})"
    elif low <= floor + 1e-9 or student.value < curve.bottom:
        status, message = "no_evidence", "no evidence of distillation (dose 0 within interval)"
    else:
        status = "within"
        message = f"{_show(point, series)} (95% interval {_show(low, series)} to {_show(high, series)})"
    return DegreeEstimate(
        series=series,
        point=round(point, 4),
        low=round(low, 4),
        high=round(high, 4),
        status=status,
        calibrated_min=low_x,
        calibrated_max=high_x,
        residual_sd=round(curve.residual_sd, 6),
        seed_sd=round(seed_sd, 6),
        calibration_students=sorted(o.student for o in rows),
        message=message,
    )


def noise_for(calibration: Sequence[DoseObservation], student: DoseObservation) -> SeedNoise | None:
    """The training noise a student's interval carries, from the seed pairs of every other recipe. Its location is
    never fitted on them (`left_out_for` still applies to the curve): a variance measured on other recipes' pairs
    carries nothing of the student's own value."""
    return seed_noise(
        [
            c
            for c in calibration
            if c.measure == student.measure and c.student != student.student and not (student.recipe and c.recipe == student.recipe)
        ]
    )


def _seed_sd(noise: SeedNoise | None, xs: np.ndarray, curve: DoseCurve) -> float:
    """SD of one new student's value around a curve of this calibration's seeds, from the zoo's training noise."""
    if noise is None:
        return curve.residual_sd
    seeds = float(np.median(np.unique(xs, return_counts=True)[1]))  # seeds per dose in the curve
    return max(curve.residual_sd, math.sqrt(noise.training_variance / 2 * (1 + 1 / seeds)))


def _interpolation_sd(xs: np.ndarray, values: np.ndarray) -> float:
    """How far linear interpolation between rungs misses: each interior rung predicted from a curve without it
    (RMS of the dose errors), halved because that curve's gap is twice the real one. Zero with fewer than 3 rungs."""
    distinct = np.unique(xs)
    errors = []
    for dose in distinct[1:-1]:
        keep = xs != dose
        if len(np.unique(xs[keep])) < 2:
            continue
        curve = DoseCurve.fit(xs[keep], values[keep])
        errors.append(curve.invert(float(values[~keep].mean())) - dose)
    return float(np.sqrt(np.mean(np.square(errors)))) / 2 if errors else 0.0


def _show(x: float, series: Series) -> str:
    return f"{math.expm1(x):.0f} teacher answers" if series == "budget" else f"fraction {x:.2f}"


def estimate_degree(
    calibration: Sequence[DoseObservation],
    student: DoseObservation,
    teacher: str,
    base: str,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> DegreeResult:
    """Both series' estimates for `student`, fitted on `calibration` less everything `left_out_for` names."""
    left_out = left_out_for(calibration, student)
    kept = [c for c in calibration if c.student not in left_out and c.measure == student.measure]
    noise = noise_for(calibration, student)
    return DegreeResult(
        student=student.student,
        teacher=teacher,
        base=base,
        measure=student.measure,
        value=student.value,
        budget=estimate_series(kept, student, "budget", resamples, seed, noise),
        fraction=estimate_series(kept, student, "fraction", resamples, seed + 1, noise),
        left_out=left_out,
        resamples=resamples,
    )


def leave_one_out_errors(
    calibration: Sequence[DoseObservation], resamples: int = 200, recipe: bool = True
) -> dict[str, dict[str, float | None]]:
    """Each trained calibration student estimated from the rest: |fraction error| on the fraction series and the
    factor between estimated and true teacher-answer counts on the budget series, with interval coverage. A student
    whose estimate is "> max calibrated dose" (the top rung, held out) is scored on whether that statement is true.

    `recipe` True: its recipe left out too (`left_out_for`), the error at a dose between the calibrated ones, as a
    real student's is; False: its seed only, its recipe's other seeds kept (the error at a calibrated dose)."""
    out: dict[str, dict[str, float | None]] = {}
    for series in ("budget", "fraction"):
        members = [o for _, o in series_points(calibration, series) if o.budget > 0]
        errors, covered, beyond = [], [], []
        for o in members:
            kept = [c for c in calibration if c.student not in left_out_for(calibration, o, recipe)]
            estimate = estimate_series(kept, o, series, resamples, noise=noise_for(calibration, o))
            if estimate is None:
                continue
            truth = true_dose(o, series)
            if estimate.status == "above_max":  # the top rung held out: "> max calibrated dose" is the answer, not a number
                beyond.append(truth >= estimate.calibrated_max)
                continue
            errors.append(math.exp(abs(estimate.point - truth)) if series == "budget" else abs(estimate.point - truth))
            covered.append(estimate.low <= truth <= estimate.high)
        if errors:
            key = "max_factor" if series == "budget" else "max_abs_error"
            out[series] = {
                key: float(max(errors)),
                "median": float(np.median(errors)),
                "coverage": float(np.mean(covered)),
                "n": len(errors),
                "above_max_correct": float(np.mean(beyond)) if beyond else None,
            }
    return out
