"""A calibrated confidence for attribution, fitted on students of known provenance (the zoo).

The model is a conditional logit over the choice set {candidates, none}: a
candidate's utility is Σ_s w_s · margin_s / scale_s (its per-signal margins
over the student's base, each scaled by its spread over the zoo), "none" has a
constant utility b, and the probabilities are the softmax. Distilled students
teach the weights, controls (no teacher) teach b, the bar a candidate must
clear. A signal a candidate lacks (likelihood of an API teacher) enters as 0:
no closer than the base. L2 on w keeps a small zoo from fitting separably.

`leave_one_student_out` fits once per student on every *other* student, so
the confidence a zoo student gets never rests on its own label.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from distillscope.errors import InputFileError, UserError

NONE = "none"
FILE_NAME = "attribution_calibration.json"


class CalibrationCase(BaseModel):
    student: str
    #: candidate -> signal -> margin (None where the signal was skipped)
    margins: dict[str, dict[str, float | None]]
    true_teacher: str | None


class Calibration(BaseModel):
    signals: list[str]
    scale: dict[str, float]
    weights: dict[str, float]
    none_utility: float
    penalty: float
    students: list[str]

    def utilities(self, margins: dict[str, dict[str, float | None]]) -> dict[str, float]:
        return {
            candidate: float(sum(self.weights[s] * (values.get(s) or 0.0) / self.scale[s] for s in self.signals))
            for candidate, values in margins.items()
        }

    def probabilities(self, margins: dict[str, dict[str, float | None]]) -> dict[str, float]:
        """P(candidate taught the student) for each candidate, and P(none), summing to 1."""
        utilities = {**self.utilities(margins), NONE: self.none_utility}
        top = max(utilities.values())
        weights = {k: np.exp(v - top) for k, v in utilities.items()}
        total = sum(weights.values())
        return {k: float(v / total) for k, v in weights.items()}


def _features(case: CalibrationCase, signals: Sequence[str], scale: dict[str, float]) -> tuple[list[str], np.ndarray]:
    names = list(case.margins)
    x = np.asarray([[(case.margins[c].get(s) or 0.0) / scale[s] for s in signals] for c in names], dtype=float)
    return names, x.reshape(len(names), len(signals))


def fit(cases: Sequence[CalibrationCase], signals: Sequence[str], penalty: float = 1.0) -> Calibration:
    """Maximum penalised likelihood of the true choice (a candidate, or none) over the given students."""
    from scipy.optimize import minimize

    usable = [c for c in cases if c.true_teacher is None or c.true_teacher in c.margins]
    if not usable:
        raise UserError("no zoo student to fit the attribution calibration on", "build the zoo first (distillscope zoo build)")
    signals = list(signals)
    scale = {}
    for s in signals:
        values = [m.get(s) for c in usable for m in c.margins.values() if m.get(s) is not None]
        spread = float(np.std(values)) if len(values) > 1 else 0.0
        scale[s] = spread if spread > 1e-12 else 1.0
    design = [(_features(c, signals, scale), c.true_teacher) for c in usable]

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = params[:-1], params[-1]
        value, grad = penalty * float(w @ w), np.concatenate([2 * penalty * w, [0.0]])
        for (names, x), truth in design:
            u = np.append(x @ w, b)
            u_max = u.max()
            p = np.exp(u - u_max) / np.exp(u - u_max).sum()
            chosen = names.index(truth) if truth is not None else len(names)
            value -= float(np.log(p[chosen] + 1e-300))
            # d(-log p_chosen)/du = p - onehot(chosen)
            residual = p.copy()
            residual[chosen] -= 1.0
            grad[:-1] += x.T @ residual[:-1]
            grad[-1] += residual[-1]
        return value, grad

    result = minimize(loss, np.zeros(len(signals) + 1), jac=True, method="L-BFGS-B")
    w, b = result.x[:-1], result.x[-1]
    return Calibration(
        signals=signals,
        scale=scale,
        weights={s: float(v) for s, v in zip(signals, w)},
        none_utility=float(b),
        penalty=penalty,
        students=[c.student for c in usable],
    )


def leave_one_student_out(
    cases: Sequence[CalibrationCase], signals: Sequence[str], penalty: float = 1.0
) -> dict[str, tuple[Calibration, dict[str, float]]]:
    """For each student: the calibration fitted without it, and its probabilities under that fit."""
    out = {}
    for held in cases:
        others = [c for c in cases if c.student != held.student]
        calibration = fit(others, signals, penalty)
        out[held.student] = (calibration, calibration.probabilities(held.margins))
    return out


def save(calibration: Calibration, path: Path) -> None:
    from distillscope.paths import atomic_write_text

    atomic_write_text(path, calibration.model_dump_json(indent=2))


def load(path: Path) -> Calibration:
    """A calibration file, or a directory (a zoo) holding one."""
    path = Path(path)
    if path.is_dir():
        path = path / FILE_NAME
    if not path.is_file():
        raise InputFileError(
            f"no attribution calibration at {path}", "run `distillscope attribute --zoo DIR` first, or pass the calibration JSON it wrote"
        )
    try:
        return Calibration.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InputFileError(
            f"{path} is not an attribution calibration ({str(exc).splitlines()[0]})",
            "pass the attribution_calibration.json that `distillscope attribute --zoo` wrote",
        ) from None
