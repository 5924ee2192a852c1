"""A calibrated confidence for attribution, fitted on students of known provenance (the zoo).

The model is a conditional logit over the choice set {candidates, none}: a
candidate's utility is Σ_s w_s · m_s + v_s · (m_s − mean_c m_s), m_s being
its margin over the student's base on signal s scaled by the signal's spread
over the zoo, and the second term how much more the student moved toward this
candidate than toward the candidates on average. "none" has a constant
utility b, and the probabilities are the softmax. The specific term is what
tells "taught by T" from "fine-tuned toward fluent answers, so a little closer
to every instruct model": only the cases with the true teacher left out of
the candidates can teach that difference. Distilled students
teach the weights, controls (no teacher) teach b, the bar a candidate must
clear. A signal a candidate lacks (likelihood of an API teacher) enters as 0:
no closer than the base. L2 on w keeps a small zoo from fitting separably.

`leave_one_student_out` fits once per student on every *other* student, so
the confidence a zoo student gets never rests on its own label. A student can
bring two cases: its answers with every candidate, and the same answers with
its true teacher left out of the candidates (truth: none), the case of an
audit that did not list the real teacher; both leave together.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from distillscope.errors import InputFileError, UserError

NONE = "none"
#: suffix of a signal's "specific" feature: its margin less the candidates' mean margin
SPECIFIC = "@specific"
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
        names, x = features(margins, self.signals, self.scale)
        w = np.asarray([self.weights.get(f, 0.0) for f in feature_names(self.signals)])
        return {name: float(value) for name, value in zip(names, x @ w)}

    def probabilities(self, margins: dict[str, dict[str, float | None]]) -> dict[str, float]:
        """P(candidate taught the student) for each candidate, and P(none), summing to 1."""
        utilities = {**self.utilities(margins), NONE: self.none_utility}
        top = max(utilities.values())
        weights = {k: np.exp(v - top) for k, v in utilities.items()}
        total = sum(weights.values())
        return {k: float(v / total) for k, v in weights.items()}


def feature_names(signals: Sequence[str]) -> list[str]:
    return [*signals, *(f"{s}{SPECIFIC}" for s in signals)]


def features(margins: dict[str, dict[str, float | None]], signals: Sequence[str], scale: dict[str, float]) -> tuple[list[str], np.ndarray]:
    """Per candidate: each signal's scaled margin, and the same less its mean over the candidates (how much more
    the student moved toward this candidate than toward the others)."""
    names = list(margins)
    raw = np.asarray([[(margins[c].get(s) or 0.0) / scale[s] for s in signals] for c in names], dtype=float).reshape(
        len(names), len(signals)
    )
    specific = raw - raw.mean(axis=0, keepdims=True) if len(names) else raw
    return names, np.hstack([raw, specific])


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
    design = [(features(c.margins, signals, scale), c.true_teacher) for c in usable]
    names = feature_names(signals)

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

    result = minimize(loss, np.zeros(len(names) + 1), jac=True, method="L-BFGS-B")
    w, b = result.x[:-1], result.x[-1]
    return Calibration(
        signals=signals,
        scale=scale,
        weights={f: float(v) for f, v in zip(names, w)},
        none_utility=float(b),
        penalty=penalty,
        students=list(dict.fromkeys(c.student for c in usable)),
    )


def leave_one_student_out(cases: Sequence[CalibrationCase], signals: Sequence[str], penalty: float = 1.0) -> dict[str, Calibration]:
    """For each student: the calibration fitted on every case of every *other* student (a student may bring
    several cases, e.g. the same answers with its teacher left out of the candidates)."""
    out = {}
    for name in dict.fromkeys(c.student for c in cases):
        out[name] = fit([c for c in cases if c.student != name], signals, penalty)
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
