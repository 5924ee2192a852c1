"""The degree estimator and dose curves on a simulated dose zoo with the real structure.

Every student answers the same prompts; each prompt has a strong effect of its
own (shared by every model), each student a seed effect, each answer several
samples of noise. The measure rises with log(1 + teacher answers) (`DOSE_EFFECT`);
reference answers move it by nothing, so a control must come out at dose 0.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import ttest_rel

from distillscope.degree.curve import DoseCurve, isotonic
from distillscope.degree.dose_curves import summarise_measure, summarise_zoo
from distillscope.degree.estimator import estimate_degree, leave_one_out_errors, left_out_for, true_dose
from distillscope.degree.result import DoseObservation

PROMPTS, SAMPLES, NOISE, SEED_SD = 150, 5, 0.3, 0.01
DOSE_EFFECT = 1.5 / math.log1p(1000)
BUDGETS, FRACTIONS, MIX_BUDGET = (30, 100, 300, 1000), (0.25, 0.5, 1.0), 300


class Zoo:
    def __init__(self, seed: int = 0, effect: float = DOSE_EFFECT, saturate_at: float | None = None) -> None:
        self.rng = np.random.default_rng(seed)
        self.prompt_effect = self.rng.normal(0.0, 1.0, PROMPTS)  # strong per-prompt effect
        self.effect, self.saturate_at = effect, saturate_at
        self.base = self.per_prompt(0.0)

    def per_prompt(self, teacher_answers: float) -> np.ndarray:
        x = math.log1p(teacher_answers)
        if self.saturate_at is not None:
            x = min(x, math.log1p(self.saturate_at))
        samples = self.rng.normal(0.0, NOISE, (PROMPTS, SAMPLES)).mean(axis=1)
        return self.prompt_effect + self.effect * x + self.rng.normal(0.0, SEED_SD) + samples

    def observe(self, name: str, recipe: str, seed: int, budget: int, fraction: float = 1.0, measure: str = "sim") -> DoseObservation:
        values = self.base if budget == 0 else self.per_prompt(budget * fraction)
        p = None if budget == 0 else float(ttest_rel(values, self.base, alternative="greater").pvalue)
        se = float(values.std(ddof=1) / math.sqrt(PROMPTS))
        return DoseObservation(
            student=name,
            recipe=recipe,
            seed=seed,
            budget=budget,
            fraction=fraction,
            measure=measure,
            value=float(values.mean()),
            ci_low=float(values.mean() - 1.96 * se),
            ci_high=float(values.mean() + 1.96 * se),
            p=p,
            per_prompt=values.tolist(),
        )

    def calibration(self, seeds: int = 2, measure: str = "sim") -> list[DoseObservation]:
        rows = [self.observe("base", "base", 0, 0, measure=measure)]
        for seed in range(seeds):
            tag = f"-s{seed}" if seed else ""
            rows += [self.observe(f"qwen-{b}{tag}", f"qwen@{b}", seed, b, measure=measure) for b in BUDGETS]
            rows += [self.observe(f"mix-{f}{tag}", f"mix@{f}", seed, MIX_BUDGET, f, measure) for f in FRACTIONS if f < 1]
            rows.append(self.observe(f"references{tag}", "references", seed, MIX_BUDGET, 0.0, measure))
        return rows


def test_isotonic_pools_violators_and_keeps_monotone_input() -> None:
    assert isotonic([1, 3, 2, 4], [1, 1, 1, 1]).tolist() == [1, 2.5, 2.5, 4]
    assert isotonic([1, 2, 3], [1, 1, 1]).tolist() == [1, 2, 3]
    curve = DoseCurve.fit([0, 0, 1, 2], [0.0, 0.2, 1.0, 2.0])
    assert curve.invert(1.5) == pytest.approx(1.5) and curve.residual_sd > 0


def test_recovers_a_planted_budget_outside_the_zoo() -> None:
    zoo = Zoo(seed=1)
    calibration = zoo.calibration()
    student = zoo.observe("new", "", 0, 200)
    result = estimate_degree(calibration, student, "qwen", "base", resamples=200)
    estimate = result.budget
    assert estimate.status == "within"
    assert math.exp(abs(estimate.point - math.log1p(200))) <= 2
    assert estimate.low <= math.log1p(200) <= estimate.high
    assert estimate.teacher_answers[1] < 200 < estimate.teacher_answers[2]


def test_recovers_a_planted_fraction_outside_the_zoo() -> None:
    zoo = Zoo(seed=2)
    student = zoo.observe("new", "", 0, MIX_BUDGET, 0.6)
    estimate = estimate_degree(zoo.calibration(), student, "qwen", "base", resamples=200).fraction
    assert abs(estimate.point - 0.6) <= 0.1
    assert estimate.low <= 0.6 <= estimate.high


def test_leave_one_seed_out_never_sees_the_students_recipe_or_its_seeds_acquisition() -> None:
    zoo = Zoo(seed=3)
    calibration = zoo.calibration()
    by_name = {c.student: c for c in calibration}
    for student in calibration:
        result = estimate_degree(calibration, student, "qwen", "base", resamples=20)
        seen = set(
            (result.budget.calibration_students if result.budget else [])
            + (result.fraction.calibration_students if result.fraction else [])
        )
        assert student.student not in seen
        assert all(by_name[s].recipe != student.recipe for s in seen)
        if student.budget > 0:
            assert all(by_name[s].budget == 0 or by_name[s].seed != student.seed for s in seen)
        assert set(result.left_out) & seen == set()


def test_at_rungs_only_the_students_seed_is_left_out_and_its_recipes_other_seeds_stay() -> None:
    calibration = Zoo(seed=3).calibration()
    by_name = {c.student: c for c in calibration}
    student = by_name["qwen-300-s1"]
    strict, seed_only = set(left_out_for(calibration, student)), set(left_out_for(calibration, student, recipe=False))
    assert "qwen-300" in strict and "qwen-300" not in seed_only  # the other seed of its recipe
    assert seed_only == {c.student for c in calibration if c.seed == 1 and c.budget > 0} and seed_only < strict
    at_rungs = leave_one_out_errors(calibration, resamples=50, recipe=False)
    between = leave_one_out_errors(calibration, resamples=50)
    assert at_rungs["fraction"]["max_abs_error"] < between["fraction"]["max_abs_error"]  # a calibrated dose is easier


def test_budget_series_leave_one_out_error_within_a_factor_two_and_intervals_cover() -> None:
    errors = leave_one_out_errors(Zoo(seed=4).calibration(), resamples=100)
    assert errors["budget"]["max_factor"] <= 2.0 and errors["budget"]["above_max_correct"] == 1.0
    # f = 0.25, 0.5 and 1 at two seeds; the fraction series' error is reported in docs/dose.md, not asserted here: with
    # rungs {0, 0.25, 0.5, 1} and one held out, linear interpolation of a response linear in log(1 + n) misses by ~0.15
    assert errors["fraction"]["n"] == 6
    # the intervals carry the curve's unknown shape between rungs: without it the fraction series covered 2 of 6
    assert errors["fraction"]["coverage"] >= 0.8 and errors["budget"]["coverage"] >= 0.8


def test_base_and_controls_come_out_at_zero_dose() -> None:
    zoo = Zoo(seed=5)
    calibration = zoo.calibration()
    for name in ("base", "references", "references-s1"):
        student = next(c for c in calibration if c.student == name)
        result = estimate_degree(calibration, student, "qwen", "base", resamples=200)
        assert result.budget.low == 0.0 and result.budget.status == "no_evidence", name
        if name != "base":
            assert result.fraction.low == 0.0 and result.fraction.status == "no_evidence", name


def test_a_student_beyond_the_top_dose_is_outside_the_calibrated_range() -> None:
    zoo = Zoo(seed=6)
    result = estimate_degree(zoo.calibration(), zoo.observe("heavy", "", 0, 30000), "qwen", "base", resamples=100)
    assert result.budget.status == "above_max" and "> max calibrated dose" in result.budget.message


def test_a_measure_that_ignores_dose_has_no_tau_no_detection_and_a_wide_interval() -> None:
    """Negative control: no dose effect at all."""
    zoo = Zoo(seed=7, effect=0.0)
    calibration = zoo.calibration()
    summary = summarise_measure(calibration, resamples=200)
    assert summary.tau_low < 0 < summary.tau_high
    assert summary.detection_limit is None
    estimate = estimate_degree(calibration, zoo.observe("new", "", 0, 100), "qwen", "base", resamples=200).budget
    assert estimate.high - estimate.low > math.log1p(1000) / 2  # nothing can be read off a flat curve


def test_dose_curves_monotone_by_construction() -> None:
    zoo = Zoo(seed=8)
    rows = zoo.calibration(measure="strong") + Zoo(seed=9, effect=DOSE_EFFECT / 100).calibration(measure="weak")
    strong, weak = summarise_zoo(rows, resamples=200)
    assert strong.measure == "strong" and strong.kendall_tau >= 0.8 and strong.tau_low > 0.5
    assert [p[0] for p in strong.points] == [0, 30, 100, 300, 1000]
    assert strong.detection_limit == 30  # a 0.5-sd step per log unit: rejected at every seed from the first rung
    assert weak.detection_limit is None or weak.detection_limit > strong.detection_limit
    assert not strong.saturates


def test_saturation_is_flagged_where_the_curve_stops_rising() -> None:
    summary = summarise_measure(Zoo(seed=10, saturate_at=100).calibration(), resamples=100)
    assert summary.saturates and summary.saturation_dose in (100, 300)
    assert summary.kendall_tau > 0.3


def test_the_bases_constructed_zeros_do_not_narrow_the_saturation_spread() -> None:
    def row(student: str, budget: int, value: float, ci: float | None) -> DoseObservation:
        low, high = (None, None) if ci is None else (value - ci, value + ci)
        return DoseObservation(student=student, recipe=f"r{budget}", budget=budget, measure="m", value=value, ci_low=low, ci_high=high)

    # the top rung is 0.1 above the next, less than the 0.14 seed spread of the trained rungs: flat within a reseed.
    # Pooling the two bases' zero spreads would bring the spread to 0.09 and call the curve still rising.
    rows = [row("b1", 0, 0.0, 0.0), row("b2", 0, 0.0, 0.0)]
    rows += [row("s100a", 100, 0.5, None), row("s100b", 100, 0.7, None), row("s300a", 300, 0.6, None), row("s300b", 300, 0.8, None)]
    summary = summarise_measure(rows, resamples=50)
    assert summary.saturates and summary.saturation_dose == 100


def test_true_dose_scales() -> None:
    row = DoseObservation(student="a", recipe="r", budget=300, fraction=0.5, measure="m", value=0.0)
    assert true_dose(row, "budget") == pytest.approx(math.log1p(150)) and true_dose(row, "fraction") == 0.5
    assert left_out_for([row], row) == ["a"]


def test_zoo_observations_count_dose_relative_to_the_teacher_asked_about() -> None:
    from distillscope.degree.measures import CHRF, measure_observations, offline_measures
    from distillscope.zoo.spec import ZooManifest, ZooSampling, ZooStudent

    def zs(name: str, teacher: str | None, budget: int | None, kind: str = "distilled", **extra) -> ZooStudent:  # noqa: ANN003
        return ZooStudent(name=name, spec=f"hf/{name}", base="hf/b", true_teacher=teacher, budget=budget, kind=kind, **extra)

    students = [
        zs("b", None, None, "base"),
        zs("q-300-s1", "q", 300),  # an older manifest: the seed only in the name
        zs("mix", "q", 300, fraction=0.25, rest_from="s", seed=1),
        zs("s-300", "s", 300),
    ]
    manifest = ZooManifest(
        store="x", sampling=ZooSampling(max_tokens=8), test_prompts="t", candidates={"q": "mock/q", "s": "mock/s"}, students=students
    )
    answers = {"q": ["a b c", "d e f"], "s": ["x y", "z"], "hf/b": ["x", "y"], **{s.name: ["a b c", "d e"] for s in students}}
    chrf = {CHRF: offline_measures()[CHRF]}
    rows = {o.student: o for o in measure_observations(manifest, answers, [], "q", "hf/b", chrf)}
    assert (rows["b"].budget, rows["b"].teacher_answers) == (0, 0)
    assert rows["q-300-s1"].seed == 1 and rows["q-300-s1"].fraction == 1
    assert rows["mix"].fraction == 0.25 and rows["s-300"].fraction == 0
    by_s = {o.student: o for o in measure_observations(manifest, answers, [], "s", "hf/b", chrf)}
    assert by_s["mix"].fraction == 0.75 and by_s["s-300"].fraction == 1 and by_s["q-300-s1"].fraction == 0
    assert rows["q-300-s1"].value > 0 and len(rows["q-300-s1"].per_prompt) == 2
