"""Each measure against dose over a zoo: Kendall's tau (CI over seeds), the detection limit, saturation.

A pure function of a table of observations (student, recipe, seed, dose,
measure, value, ci, p), so it runs the same on a real zoo's measurements and
on simulated rows. Only the budget series counts here (students trained on
teacher answers only, the base at dose 0); the dose is the teacher-answer
count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from distillscope.degree.result import DoseCurveSummary, DoseObservation
from distillscope.stats import se_from_interval

ALPHA = 0.05
DETECTION_SHARE = 0.8
RESAMPLES = 400


def _tau(doses: np.ndarray, values: np.ndarray) -> float | None:
    from scipy.stats import kendalltau

    if len(np.unique(doses)) < 2 or len(np.unique(values)) < 2:
        return None
    tau = kendalltau(doses, values).statistic  # tau-b: ties in dose (seeds of one recipe) are expected
    return None if np.isnan(tau) else float(tau)


def summarise_measure(rows: Sequence[DoseObservation], resamples: int = RESAMPLES, seed: int = 0, alpha: float = ALPHA) -> DoseCurveSummary:
    """One measure's curve. The tau CI redraws the seeds: each recipe contributes its seeds drawn with replacement."""
    rows = [r for r in rows if r.budget == 0 or r.fraction == 1]
    measures = {r.measure for r in rows}
    if len(measures) != 1:
        raise ValueError(f"summarise_measure takes one measure's rows, got {sorted(measures)}")
    doses = np.array([r.teacher_answers for r in rows])
    values = np.array([r.value for r in rows])
    tau = _tau(doses, values)
    by_recipe: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by_recipe[r.recipe].append(i)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(resamples):
        chosen = np.concatenate([rng.choice(idx, len(idx)) for idx in by_recipe.values()])
        t = _tau(doses[chosen], values[chosen])
        if t is not None:
            draws.append(t)
    tau_low, tau_high = (float(v) for v in np.percentile(draws, [2.5, 97.5])) if draws else (None, None)

    points, rejecting = [], {}
    for dose in np.unique(doses):
        at = [r for r in rows if r.teacher_answers == dose]
        tested = [r.p for r in at if r.p is not None]
        share = float(np.mean([p < alpha for p in tested])) if tested and dose > 0 else None
        rejecting[float(dose)] = share
        points.append((float(dose), float(np.mean([r.value for r in at])), share))
    detected = [d for d, s in rejecting.items() if s is not None and s >= DETECTION_SHARE]
    saturates, saturation_dose = _saturation(rows, points)
    return DoseCurveSummary(
        measure=rows[0].measure,
        kendall_tau=None if tau is None else round(tau, 4),
        tau_low=None if tau_low is None else round(tau_low, 4),
        tau_high=None if tau_high is None else round(tau_high, 4),
        detection_limit=min(detected) if detected else None,
        detection_share=DETECTION_SHARE,
        saturates=saturates,
        saturation_dose=saturation_dose,
        points=points,
        n_students=len(rows),
    )


def _saturation(rows: Sequence[DoseObservation], points: list[tuple[float, float, float | None]]) -> tuple[bool, float | None]:
    """Saturated: the top dose's mean is no more than the seed spread above the next dose's mean.

    The seed spread is the pooled sd of the values among seeds of one dose (and the CIs' standard errors where a
    dose has one seed), so a curve that rises less than a reseed moves it counts as flat. Dose 0 (the base) is
    left out of the spread: its margins against itself are zero by construction, and pooling those zeros would
    shrink the spread and call a curve still rising within noise "not saturated"."""
    if len(points) < 3:
        return False, None
    spreads = []
    for dose, _, _ in points:
        if dose <= 0:
            continue
        at = [r for r in rows if r.teacher_answers == dose]
        if len(at) > 1:
            spreads.append(float(np.std([r.value for r in at], ddof=1)))
        spreads += [se_from_interval(r.ci_low, r.ci_high) for r in at if r.ci_low is not None and r.ci_high is not None]
    spread = float(np.sqrt(np.mean(np.square(spreads)))) if spreads else 0.0
    top = points[-1][1]
    if top - points[-2][1] > spread:
        return False, None
    return True, next(d for d, m, _ in points if d > 0 and top - m <= spread)


def summarise_zoo(rows: Sequence[DoseObservation], resamples: int = RESAMPLES, seed: int = 0) -> list[DoseCurveSummary]:
    """Every measure's curve, best tau first."""
    by_measure: dict[str, list[DoseObservation]] = defaultdict(list)
    for r in rows:
        by_measure[r.measure].append(r)
    out = [summarise_measure(group, resamples, seed) for group in by_measure.values()]
    return sorted(out, key=lambda s: -(s.kendall_tau if s.kendall_tau is not None else -2))
