"""How precisely a dose zoo can place a student: the degree estimator's error budget, and what would shrink it.

A student's dose is read where the calibration curve reaches its value. Two
noises move that value away from the curve at its true dose, and a zoo
measures both from its seed pairs (two students of one recipe that answered
the same prompts; `seed_noise.py`):

- prompt noise: the standard error over prompts of the pair's paired
  difference (shrinks as 1 / sqrt(prompts));
- training noise: the part of the seed-to-seed difference the prompts do not
  explain, mean(d^2) - mean(se^2) (method of moments, clipped at 0; more
  prompts do not shrink it, more seeds in the curve do).

A new student against the curve of m seeds has value variance
D / 2 * (1 + 1/m), D the variance of one seed pair's difference. Divided by
the curve's local slope (per unit of log(1 + teacher answers), or per unit of
teacher share), that is the SD of its dose estimate at each rung; 1.96 of it
is the 95% error of one student, and the prompts a goal needs follow
(none where training noise alone exceeds it). The estimator's own intervals
(`estimator.py`) carry the same noises; this says where they come from.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel

from distillscope.degree.curve import DoseCurve
from distillscope.degree.estimator import series_points
from distillscope.degree.result import DoseObservation, Series
from distillscope.degree.seed_noise import seed_noise

Z95 = 1.96
#: the issue's goals: within a factor 2 of the teacher-answer count, within 0.1 of the teacher's share
GOALS: dict[Series, float] = {"budget": math.log(2.0), "fraction": 0.1}


class RungResolution(BaseModel):
    series: Series
    #: teacher answers (budget series) or the teacher's share (fraction series)
    dose: float
    #: the calibration curve's local slope: measure units per unit of log(1 + teacher answers), or of share
    slope: float
    #: SD of one new student's dose estimate (log units or share) at this zoo's prompts and seeds
    sd: float | None
    #: its 95% error: a factor on the teacher-answer count, or an absolute share (None: a flat curve, no estimate)
    error95: float | None
    #: the same with unlimited prompts (training noise only)
    error95_unlimited_prompts: float | None
    #: the floor: unlimited prompts and a curve of unlimited seeds, the student's own training noise alone. A goal
    #: below it is out of reach for this measure at this rung, whatever the zoo (None: a flat curve)
    error95_floor: float | None = None
    #: test prompts that would bring error95 to the goal at this zoo's seeds (None: not with these seeds)
    prompts_for_goal: int | None


class Resolution(BaseModel):
    measure: str
    n_prompts: int
    #: seeds per recipe in the curve a new student is read against
    seeds: int
    #: seed pairs measured, and the variance of one pair's difference split into its sources (measure units squared)
    n_pairs: int
    prompt_variance: float
    training_variance: float
    goals: dict[str, float]
    rungs: list[RungResolution]


def resolution(rows: Sequence[DoseObservation], goals: dict[Series, float] | None = None) -> Resolution | None:
    """One measure's error budget over the zoo (None without two seed pairs of per-prompt values)."""
    goals = goals or GOALS
    noise = seed_noise(rows)
    if noise is None:
        return None
    n, prompt_var, training_var = noise.n_prompts, noise.prompt_variance, noise.training_variance
    seeds = max(1, round(np.mean([len({r.seed for r in rows if r.recipe == recipe}) for recipe in noise.recipes])))
    rungs = []
    for series in ("budget", "fraction"):
        rungs += _rungs(rows, series, goals[series], n, prompt_var, training_var, seeds)
    return Resolution(
        measure=rows[0].measure,
        n_prompts=n,
        seeds=seeds,
        n_pairs=len(noise.recipes),
        prompt_variance=prompt_var,
        training_variance=training_var,
        goals={s: (math.exp(g) if s == "budget" else g) for s, g in goals.items()},
        rungs=rungs,
    )


def _rungs(
    rows: Sequence[DoseObservation], series: Series, goal: float, n: int, prompt_var: float, training_var: float, seeds: int
) -> list[RungResolution]:
    points = series_points(rows, series)
    xs = np.array([x for x, _ in points])
    if len(np.unique(xs)) < 2:
        return []
    curve = DoseCurve.fit(xs, [o.value for _, o in points])
    doses, levels = curve.doses, curve.levels
    inflation = (1 + 1 / seeds) / 2  # one student against the mean of `seeds` seeds, per unit of pair variance
    out = []
    for i in range(1, len(doses)):  # every trained rung (the lowest dose is the series' zero)
        lo, hi = max(0, i - 1), min(len(doses) - 1, i + 1)
        slope = float((levels[hi] - levels[lo]) / (doses[hi] - doses[lo]))
        sd = unlimited = floor = needed = None
        if slope > 0:
            sd = math.sqrt((prompt_var + training_var) * inflation) / slope
            unlimited = math.sqrt(training_var * inflation) / slope
            floor = math.sqrt(training_var / 2) / slope
            room = (goal / Z95 * slope) ** 2 / inflation - training_var  # the prompt variance the goal leaves
            needed = math.ceil(n * prompt_var / room) if room > 0 else None
        dose = math.expm1(doses[i]) if series == "budget" else float(doses[i])
        out.append(
            RungResolution(
                series=series,
                dose=round(dose, 4),
                slope=round(slope, 6),
                sd=None if sd is None else round(sd, 4),
                error95=_error(sd, series),
                error95_unlimited_prompts=_error(unlimited, series),
                error95_floor=_error(floor, series),
                prompts_for_goal=needed,
            )
        )
    return out


def _error(sd: float | None, series: Series) -> float | None:
    if sd is None:
        return None
    return round(math.exp(Z95 * sd), 3) if series == "budget" else round(Z95 * sd, 4)
