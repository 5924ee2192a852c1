"""The degree estimator's error budget (`degree/resolution.py`): prompt and training noise from a zoo's seed pairs, the
95% error of a new student, and the prompts a goal needs. Simulated zoos with the real structure: a strong
per-prompt effect shared by every model, a dose effect linear in log(1 + teacher answers), per-seed training noise."""

from __future__ import annotations

import math

import numpy as np
import pytest

from distillscope.degree.curve import DoseCurve
from distillscope.degree.resolution import resolution
from distillscope.degree.result import DoseObservation

BUDGETS = (30, 100, 300, 1000)
SLOPE = 0.03  # measure units per unit of log(1 + teacher answers)


def _zoo(rng, prompts: int, prompt_sd: float, training_sd: float, seeds: int = 2, recipes_per_budget: int = 1):
    effect = rng.normal(0.0, 1.0, prompts)

    def student(name, recipe, seed, budget, fraction=1.0):
        x = math.log1p(budget * fraction)
        values = effect + SLOPE * x + rng.normal(0.0, training_sd) + rng.normal(0.0, prompt_sd, prompts)
        return DoseObservation(
            student=name, recipe=recipe, seed=seed, budget=budget, fraction=fraction, measure="sim",
            value=float(values.mean()), per_prompt=values.tolist(),
        )  # fmt: skip

    rows = [DoseObservation(student="base", recipe="base", measure="sim", value=0.0, per_prompt=[0.0] * prompts)]
    base_values = effect  # every value below is the gain over the base, paired on the prompt
    for seed in range(seeds):
        for b in BUDGETS:
            for k in range(recipes_per_budget):
                rows.append(student(f"q{b}-{k}-s{seed}", f"q@{b}#{k}", seed, b))
    for r in rows[1:]:
        gains = np.asarray(r.per_prompt) - base_values
        r.per_prompt, r.value = gains.tolist(), float(gains.mean())
    return rows, student, base_values


def test_the_two_noise_sources_are_recovered_from_seed_pairs():
    rng = np.random.default_rng(0)
    prompts, prompt_sd, training_sd = 200, 0.2, 0.01
    rows, _, _ = _zoo(rng, prompts, prompt_sd, training_sd, recipes_per_budget=10)
    budget = resolution(rows)
    assert budget is not None and budget.n_pairs == 40 and budget.n_prompts == prompts and budget.seeds == 2
    assert budget.prompt_variance == pytest.approx(2 * prompt_sd**2 / prompts, rel=0.15)
    assert budget.training_variance == pytest.approx(2 * training_sd**2, rel=0.6)


def test_the_predicted_95_percent_error_holds_for_new_students():
    """New students of known dose, read off the zoo's curve: about 95% of them within the predicted error."""
    rng = np.random.default_rng(1)
    inside, predicted = [], []
    for _ in range(30):
        rows, student, base_values = _zoo(rng, 150, 0.15, 0.015)
        budget = resolution(rows)
        rung = next(r for r in budget.rungs if r.series == "budget" and r.dose == pytest.approx(300))
        points = [(math.log1p(r.budget * r.fraction), r.value) for r in rows]
        curve = DoseCurve.fit([x for x, _ in points], [v for _, v in points])
        for k in range(10):
            new = student(f"new{k}", "new", 9, 300)
            gain = float(np.mean(np.asarray(new.per_prompt) - base_values))
            error = math.exp(abs(curve.invert(gain) - math.log1p(300)))
            inside.append(error <= rung.error95)
        predicted.append(rung.error95)
    assert 0.91 <= np.mean(inside) <= 0.99, (np.mean(inside), np.median(predicted))


def test_more_prompts_help_until_training_noise_is_left_and_then_the_goal_is_unreachable():
    rng = np.random.default_rng(2)
    noisy_prompts = resolution(_zoo(rng, 100, 0.4, 0.0, recipes_per_budget=3)[0])
    rung = next(r for r in noisy_prompts.rungs if r.dose == pytest.approx(300))
    assert rung.error95 > 2 and rung.prompts_for_goal is not None and rung.prompts_for_goal > 100
    assert rung.error95_unlimited_prompts < rung.error95
    # the same zoo at the prompts it said it needs meets the goal
    more = resolution(_zoo(rng, rung.prompts_for_goal, 0.4, 0.0, recipes_per_budget=3)[0])
    assert next(r for r in more.rungs if r.dose == pytest.approx(300)).error95 == pytest.approx(2.0, abs=0.35)
    # training noise alone beyond the goal: no number of prompts reaches it
    retrained = resolution(_zoo(rng, 100, 0.05, 0.06, recipes_per_budget=3)[0])
    rung = next(r for r in retrained.rungs if r.dose == pytest.approx(300))
    assert rung.prompts_for_goal is None and rung.error95_unlimited_prompts > 2
    # the floor (unlimited seeds too) is the student's own training noise: below the 2-seed figure, above the goal here
    assert 2 < rung.error95_floor < rung.error95_unlimited_prompts
    assert math.log(rung.error95_floor) == pytest.approx(1.96 * math.sqrt(retrained.training_variance / 2) / rung.slope, rel=1e-3)


def test_without_seed_pairs_there_is_no_budget():
    rows, _, _ = _zoo(np.random.default_rng(3), 50, 0.2, 0.01, seeds=1)
    assert resolution(rows) is None


def test_intervals_carry_training_noise_when_one_seed_is_left_per_dose():
    """Training noise dominant, two seeds: a student left out by seed is read against a curve of one seed per dose,
    which an isotonic fit passes through (residual sd 0). Its interval must still carry the seed-to-seed spread,
    measured on the other recipes' seed pairs: without it a fifth of the intervals missed the true dose (0.80 covered)."""
    from distillscope.degree.estimator import leave_one_out_errors

    rng = np.random.default_rng(4)
    covered = []
    for _ in range(6):
        rows, _, _ = _zoo(rng, 150, 0.05, 0.02, recipes_per_budget=2)
        covered.append(leave_one_out_errors(rows, 100, recipe=False)["budget"]["coverage"])
    assert np.mean(covered) >= 0.85, covered
    # what the interval carried, on record: the zoo's training noise where the residual is 0
    from distillscope.degree.estimator import estimate_series, left_out_for, noise_for

    rows, _, _ = _zoo(rng, 150, 0.05, 0.02)
    student = next(r for r in rows if r.budget == 300 and r.seed == 1)
    kept = [r for r in rows if r.student not in left_out_for(rows, student, recipe=False)]
    estimate = estimate_series(kept, student, "budget", 100, noise=noise_for(rows, student))
    assert estimate.residual_sd == 0 < estimate.seed_sd


def test_a_student_s_training_noise_comes_from_its_own_measure_and_other_recipes():
    """A calibration that holds several measures: the noise is measured on the student's measure only (a pair of one
    recipe's rows on two measures is no seed pair), never on the student's own recipe."""
    from distillscope.degree.estimator import noise_for
    from distillscope.degree.seed_noise import seed_noise

    rng = np.random.default_rng(11)
    quiet, _, _ = _zoo(rng, 80, 0.05, 0.001)
    loud, _, _ = _zoo(rng, 80, 0.05, 0.05)
    for r in loud:
        r.measure = "loud"
    student = next(r for r in quiet if r.budget == 300 and r.seed == 1)
    expected = seed_noise([r for r in quiet if r.recipe != student.recipe])
    assert noise_for(quiet + loud, student) == expected
    assert noise_for(quiet + loud, student).training_variance < seed_noise(loud).training_variance / 10
