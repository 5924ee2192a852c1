"""A monotone (non-decreasing) dose curve and its inverse.

Isotonic regression (pool-adjacent-violators) of the measure on the dose,
weighted by the number of students at each dose, then linear interpolation
between the fitted levels. Isotonic rather than a parametric curve because
nothing is known about the shape (measures saturate, some start late) except
that more teacher answers should not make a student less like its teacher;
a measure whose curve comes out flat is a measure that cannot be inverted,
and the interval says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def isotonic(values: Sequence[float] | np.ndarray, weights: Sequence[float] | np.ndarray) -> np.ndarray:
    """Pool-adjacent-violators: the non-decreasing sequence closest (weighted least squares) to `values`."""
    blocks: list[list[float]] = []  # [mean, weight, count]
    for value, weight in zip(values, weights):
        blocks.append([float(value), float(weight), 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2, n2 = blocks.pop()
            m1, w1, n1 = blocks.pop()
            blocks.append([(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, n1 + n2])
    return np.concatenate([np.full(n, m) for m, _, n in blocks])


@dataclass(frozen=True)
class DoseCurve:
    doses: np.ndarray  # distinct calibrated doses, ascending
    levels: np.ndarray  # fitted (non-decreasing) measure at each dose
    residual_sd: float  # spread of the students around their fitted level

    @classmethod
    def fit(cls, doses: Sequence[float] | np.ndarray, values: Sequence[float] | np.ndarray) -> DoseCurve:
        doses, values = np.asarray(doses, float), np.asarray(values, float)
        distinct = np.unique(doses)
        if len(distinct) < 2:
            raise ValueError("a dose curve needs students at two doses at least")
        means = np.array([values[doses == d].mean() for d in distinct])
        counts = np.array([(doses == d).sum() for d in distinct], float)
        levels = isotonic(means, counts)
        fitted = levels[np.searchsorted(distinct, doses)]
        dof = max(len(values) - len(distinct), 1)
        residual_sd = float(np.sqrt(((values - fitted) ** 2).sum() / dof)) if len(values) > len(distinct) else 0.0
        return cls(distinct, levels, residual_sd)

    def invert(self, value: float) -> float:
        """The dose at which the curve reaches `value`, clamped to the calibrated range; a plateau maps to its middle.

        Callers check `value` against `bottom`/`top` first: beyond them the dose is outside what was calibrated."""
        levels = np.unique(self.levels)
        doses = np.array([self.doses[self.levels == level].mean() for level in levels])
        if len(levels) == 1:  # a flat curve: every calibrated dose fits equally
            return float(self.doses.mean())
        return float(np.interp(value, levels, doses))

    @property
    def bottom(self) -> float:
        return float(self.levels[0])

    @property
    def top(self) -> float:
        return float(self.levels[-1])

    def at(self, dose: float) -> float:
        return float(np.interp(dose, self.doses, self.levels))
