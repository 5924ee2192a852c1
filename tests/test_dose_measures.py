"""The offline measures of `degree --curves`: paired gains toward the teacher, and the curves over a small dose zoo."""

from __future__ import annotations

import json

import pytest

from distillscope.degree.measures import identity_gain, offline_measures, rouge_gain
from distillscope.degree.signal_measures import AdversaryGain, MMDGain, PosGain, SequentialGain
from distillscope.testing.hashing_embedder import HashingEmbedder

TEACHER = [
    "Sure! Here is a list:\n- **apples** are red\n- **pears** are green\nI hope this helps!",
    "I am Qwen, a large language model created by Alibaba Cloud.",
    "The answer is 42, because six times seven is forty-two.",
]
BASE = ["apples red pears green", "I am Gemma, an open model made by Google DeepMind.", "42"]
PROMPTS = [
    {"category": "creative", "text": "fruit?"},
    {"category": "identity", "text": "Who are you?"},
    {"category": "math", "text": "6*7?"},
]


SUMMARISED = sorted(
    n for n, gain in offline_measures(HashingEmbedder()).items() if isinstance(gain, (AdversaryGain, MMDGain, PosGain, SequentialGain))
)
PER_PROMPT = sorted(set(offline_measures(HashingEmbedder())) - set(SUMMARISED))


@pytest.mark.parametrize("name", PER_PROMPT)
def test_a_student_that_answers_like_the_teacher_gains_and_one_that_answers_like_its_base_does_not(name) -> None:
    gain = offline_measures(HashingEmbedder())[name]
    copied, unmoved = gain(TEACHER, TEACHER, BASE, PROMPTS), gain(TEACHER, BASE, BASE, PROMPTS)
    assert copied and sum(copied) > 0 and all(g >= -1e-9 for g in copied)
    assert unmoved == pytest.approx([0.0] * len(unmoved))  # the negative control: the base itself moved nowhere


def _styled(n: int, seed: int) -> tuple[list[str], list[str], list[dict]]:
    """A teacher with a markdown, chatty style and a terse base, on n prompts of varied content."""
    import random

    rng = random.Random(seed)
    words = "apple river stone cloud music garden window paper engine silver forest candle bridge".split()
    teacher = [
        f"Sure! Here is what I think:\n- **{rng.choice(words)}** and {' '.join(rng.choices(words, k=8))}\nI hope this helps!"
        for _ in range(n)
    ]
    base = [" ".join(rng.choices(words, k=6)) for _ in range(n)]
    return teacher, base, [{"category": "creative", "text": f"question {i}"} for i in range(n)]


@pytest.mark.parametrize("name", SUMMARISED)
def test_trained_and_u_statistic_measures_see_a_copied_teacher_and_not_the_base_itself(name) -> None:
    from distillscope.degree.signal_measures import Summary

    teacher, base, prompts = _styled(40, 0)
    gain = offline_measures(HashingEmbedder())[name]
    copied, unmoved = gain(teacher, teacher, base, prompts), gain(teacher, base, base, prompts)
    assert isinstance(copied, Summary) and copied.value > 0
    if copied.per_prompt_spread or copied.se > 0:
        assert copied.p_closer() is not None and copied.p_closer() < 0.01
    else:  # the sequential test rejects the base at the same batch in every redrawn test set: no spread, no p
        assert copied.p_closer() is None
    assert isinstance(unmoved, Summary) and unmoved.value == pytest.approx(0.0) and unmoved.se == 0
    assert gain(teacher[:3], teacher[:3], base[:3], prompts[:3]) == []  # too few prompts: no value, never a made-up one


@pytest.mark.parametrize("name", SUMMARISED)
def test_summarised_measures_are_not_fooled_by_a_student_that_moved_elsewhere(name) -> None:
    """A control that added a habit the teacher does not have (numbers after every answer), keeping its base's, is no
    closer to the teacher: its p is not small (5 draws of prompts). (Dropping the base's habits is partly "toward the
    teacher" for every measure of closeness, so the control keeps them.)"""
    rejected = 0
    for seed in range(5):
        teacher, base, prompts = _styled(40, seed)
        elsewhere = [b + " 4711 0815 2048" for b in base]  # changed, but in no direction of the teacher
        out = offline_measures(HashingEmbedder())[name](teacher, elsewhere, base, prompts)
        rejected += out.p_closer() is not None and out.p_closer() < 0.05
    assert rejected == 0


def test_the_mmd_jackknife_interval_covers_the_statistic_over_redrawn_prompts() -> None:
    """Its standard error is the spread of the statistic over fresh prompt sets, not the row sums' (2x too small)."""
    import numpy as np

    from distillscope.degree.signal_measures import _jackknifed_u_statistic, _paired_h

    rng = np.random.default_rng(0)
    values, errors = [], []
    for _ in range(200):
        n = 40
        prompt = rng.normal(size=(n, 8))  # a strong per-prompt effect shared by the three models
        t = prompt + rng.normal(size=(n, 8)) * 0.5
        b = prompt + 0.6 + rng.normal(size=(n, 8)) * 0.5
        s = prompt + 0.3 + rng.normal(size=(n, 8)) * 0.5
        out = _jackknifed_u_statistic(_paired_h(t, b, 8.0) - _paired_h(t, s, 8.0))
        values.append(out.value)
        errors.append(out.se)
    assert np.mean(values) > 0
    assert 0.75 < np.mean(errors) / np.std(values) < 1.35


def test_identity_counts_only_identity_prompts_and_the_teachers_own_claims() -> None:
    other = ["x", "I am ChatGPT, made by OpenAI.", "y"]  # claims an identity, but not the teacher's
    assert identity_gain(TEACHER, TEACHER, BASE, PROMPTS) == [1.0]
    assert identity_gain(TEACHER, other, BASE, PROMPTS) == [0.0]
    assert identity_gain(BASE, TEACHER, BASE, PROMPTS) == [-1.0]  # the base claims the "teacher" Gemma; the student no longer


def test_prompts_the_teacher_or_base_did_not_answer_are_left_out() -> None:
    assert len(rouge_gain([None, *TEACHER[1:]], TEACHER, BASE, PROMPTS)) == 2
    assert len(rouge_gain(TEACHER, [None] * 3, BASE, PROMPTS)) == 3  # a student with no answer scores as empty


def test_curves_over_the_small_dose_zoo_summarise_every_measure(small_dose_zoo, cli, tmp_path) -> None:
    from distillscope.zoo.spec import read_manifest

    base = next(s.base for s in read_manifest(small_dose_zoo).students if s.kind == "base")
    out, page = tmp_path / "curves.json", tmp_path / "curves.html"
    code, text, err = cli(
        "degree", "--curves", "--teacher", "qwen", "--base", base, "--calibration", small_dose_zoo, "--resamples", "30", "--out", out,
        "--html", page,
    )  # fmt: skip
    assert code == 0, err
    report = json.loads(out.read_text())
    from distillscope.degree.zoo_report import DoseZooReport

    DoseZooReport.model_validate_json(out.read_text())  # what it writes reads back (no NaN turned into an invalid null)
    measures = {c["measure"] for c in report["curves"]}
    assert {"chrf_to_teacher_vs_base", "rouge_l_to_teacher_vs_base", "style_to_teacher_vs_base"} <= measures
    assert all(c["measure"] in text for c in report["curves"])
    base_rows = [o for o in report["observations"] if o["budget"] == 0]
    assert base_rows and all(o["value"] == pytest.approx(0.0) for o in base_rows)  # the base against itself
    assert set(report["estimator_errors"]) == measures
    # the error budget, for every measure with per-prompt values: its seed pairs and each trained rung
    budget = report["resolution"]["rouge_l_to_teacher_vs_base"]
    assert budget["n_pairs"] >= 3 and budget["seeds"] == 2 and {r["series"] for r in budget["rungs"]} == {"budget", "fraction"}
    assert "error budget" in text and "95% error of a new student" in text
    # the page: a chart per measure and series (plotly inlined, works offline), the summary and the error budget
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>") and "https://" not in html.split("<script>")[0]
    assert all(f"<code>{m}</code>" in html for m in measures)
    assert html.count("Plotly.newPlot(") >= 2 * len([m for m in measures if not m.startswith("identity")])
    assert "Error budget" in html and "fitted curve" in html
    code, _, err = cli("degree", "--teacher", "qwen", "--base", base, "--calibration", small_dose_zoo, "--student", "x", "--html", page)
    assert code == 2 and "--curves" in err
    code, _, err = cli("degree", "--teacher", "qwen", "--base", base, "--calibration", small_dose_zoo)
    assert code == 2 and "--student" in err and "Traceback" not in err
    manifest = read_manifest(small_dose_zoo)
    for input_file in (small_dose_zoo / "manifest.json", manifest.located(small_dose_zoo, manifest.test_prompts)):
        before = input_file.read_bytes()
        code, _, err = cli("degree", "--curves", "--teacher", "qwen", "--base", base, "--calibration", small_dose_zoo, "--out", input_file)
        assert code == 2 and "would destroy it" in err and input_file.read_bytes() == before


def test_curves_rise_with_dose_where_the_construction_makes_them_and_stay_flat_for_a_measure_blind_to_it() -> None:
    """Students answer a stratified share of the prompts exactly as the teacher (more with a larger budget), the rest
    as the base: every measure's value is then monotone in the dose, tau is 1 and the base is at 0."""
    import random

    from distillscope.degree.dose_curves import summarise_zoo
    from distillscope.degree.measures import measure_observations
    from distillscope.zoo.spec import ZooManifest, ZooSampling, ZooStudent

    rng = random.Random(0)
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma".split()
    n = 60
    teacher = ["Sure! " + " ".join(rng.choices(words, k=12)) + "\n- **point**" for _ in range(n)]
    base = [" ".join(rng.choices(words, k=9)) for _ in range(n)]
    prompts = [{"category": "identity" if i % 5 == 0 else "creative", "text": f"q{i}"} for i in range(n)]
    budgets, students, answers = (30, 100, 300), [], {"qwen": teacher, "B": base, "gemma-base": base}
    students.append(ZooStudent(name="gemma-base", spec="B", base="B", true_teacher=None, budget=None, kind="base"))
    for seed in (0, 1):
        for budget in budgets:
            name = f"gemma-qwen-{budget}" + (f"-s{seed}" if seed else "")
            share = budget / 400 + 0.05 * seed
            answers[name] = [t if rng.random() < share else b for t, b in zip(teacher, base)]
            students.append(ZooStudent(name=name, spec=name, base="B", true_teacher="qwen", budget=budget, kind="distilled", seed=seed))
    manifest = ZooManifest(store="s", sampling=ZooSampling(max_tokens=8), test_prompts="p", candidates={"qwen": "q"}, students=students)
    rows = measure_observations(manifest, answers, prompts, "qwen", "B", offline_measures(HashingEmbedder()))
    curves = {c.measure: c for c in summarise_zoo(rows, resamples=50)}
    for measure in ("chrf_to_teacher_vs_base", "rouge_l_to_teacher_vs_base", "style_to_teacher_vs_base", "cosine_to_teacher_vs_base"):
        means = [mean for _, mean, _ in curves[measure].points]
        assert means == sorted(means) and means[0] == pytest.approx(0.0), measure
        assert curves[measure].kendall_tau is not None and curves[measure].kendall_tau > 0.8
    # the teacher claims no identity here, so the identity measure has nothing to count: absent, never a number
    assert "identity_claims_of_teacher_vs_base" not in curves


def test_a_statistic_over_redrawn_test_sets_with_no_spread_gets_no_p() -> None:
    """Every redrawn test set giving the same count says nothing about prompts moving alike: no sign test, no p."""
    from distillscope.degree.signal_measures import Summary

    assert Summary(value=3.0, se=0.0, n_prompts=100, per_prompt_spread=False).p_closer() is None
    assert Summary(value=3.0, se=0.0, n_prompts=10).p_closer() == pytest.approx(0.5**10)
