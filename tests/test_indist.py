"""Indistinguishability calibration on mock answers: a model against itself must look
indistinguishable, two different models must not, and more queries must not hurt."""

import json

import numpy as np
import pytest

from distillscope.indist.advantage import advantage, per_prompt_scores, q_curve, q_values
from distillscope.indist.evaluate import Paired, evaluate_indistinguishability
from distillscope.indist.features import FEATURE_NAMES, style_features
from distillscope.indist.mmd import mmd_power, mmd_test
from distillscope.models.registry import load_model
from distillscope.probes.suite import load_default_suite
from distillscope.runner.runner import Runner, requests_for
from distillscope.runner.store import ResponseStore
from distillscope.testing.hashing_embedder import HashingEmbedder
from distillscope.types import SamplingParams


@pytest.fixture(scope="module")
def suite():
    return load_default_suite()


def answers(store, spec, prompts, sampling, sample=0):
    runner = Runner(ResponseStore(store), show_progress=False)
    result = runner.run(load_model(spec), [r for r in requests_for(prompts, sampling) if r.sample_index == sample])
    return [r.text for r in result.responses]


def paired(store, suite, teacher, student, n_train=120, n_test=120, teacher_sample=0, student_sample=0, temperature=0.0):
    sampling = SamplingParams(temperature=temperature, max_tokens=48, n=2, seed=7)
    out = []
    for split, n in (("train", n_train), ("test", n_test)):
        prompts = suite.sample(n, split=split, seed=0)
        out.append(Paired(prompts=prompts, teacher=answers(store, teacher, prompts, sampling, teacher_sample),
                          student=answers(store, student, prompts, sampling, student_sample)))
    return out


def test_style_features_are_named_and_react_to_markdown():
    plain, markdown = style_features("Just a sentence."), style_features("# Title\n- one\n- two\n```\ncode\n```")
    assert len(plain) == len(FEATURE_NAMES)
    named = dict(zip(FEATURE_NAMES, markdown))
    assert named["headers"] == 1 and named["bullets"] == 2 and named["code_blocks"] == 2


def test_advantage_is_two_accuracy_minus_one():
    teacher = np.array([1.0, 2.0, -1.0, 0.5])  # 3 of 4 right
    student = np.array([-1.0, -2.0, -0.5, 3.0])  # 3 of 4 right
    assert per_prompt_scores(teacher, student).mean() == pytest.approx(2 * 0.75 - 1)
    assert advantage(teacher, student).mean == pytest.approx(0.5)


def test_self_against_self_has_advantage_near_zero(tmp_path, suite):
    train, test = paired(tmp_path / "s.sqlite", suite, "mock/a", "mock/a", teacher_sample=0, student_sample=1, temperature=1.0)
    assert train.teacher != train.student  # two different sampled draws
    result = evaluate_indistinguishability(train, test, ["style", "embed"], embedder=HashingEmbedder())
    for name, adversary in result.learned.items():
        assert adversary.advantage.low <= 0 <= adversary.advantage.high, (name, adversary.advantage)


def test_different_models_are_told_apart(tmp_path, suite):
    train, test = paired(tmp_path / "s.sqlite", suite, "mock/alpha", "mock/beta")
    result = evaluate_indistinguishability(train, test, ["style", "embed", "mmd"], embedder=HashingEmbedder(), mmd_repeats=10)
    assert result.learned["embed"].advantage.mean > 0.9
    assert result.mmd.test.p_value < 0.01
    assert {row.adversary for row in result.epsilon_table} == {"style", "embed"}
    assert all(row.t_seconds > 0 for row in result.epsilon_table)


def test_q_curves_do_not_decrease_on_average():
    rng = np.random.default_rng(0)
    teacher, student = rng.normal(0.3, 1.0, 200), rng.normal(-0.3, 1.0, 200)  # a weak per-answer signal
    curve = q_curve(teacher, student, seed=0)
    means = [curve[q].mean for q in q_values(200)]
    assert means[-1] > means[0] + 0.3
    assert all(later >= earlier - 0.05 for earlier, later in zip(means, means[1:]))
    assert all(curve[q].low <= curve[q].mean <= curve[q].high for q in curve)


def test_mmd_false_positive_rate_is_near_alpha():
    rng = np.random.default_rng(1)
    rejections = 0
    repetitions = 100
    for i in range(repetitions):
        x, y = rng.normal(size=(30, 8)), rng.normal(size=(30, 8))
        rejections += mmd_test(x, y, permutations=200, seed=i).p_value < 0.05
    # binomial(100, 0.05): 99.9% of runs fall within 0..13
    assert rejections <= 13


def test_mmd_power_grows_with_samples():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(200, 8)), rng.normal(0.35, 1.0, size=(200, 8))
    power = mmd_power(x, y, sizes=[8, 128], repeats=20, permutations=100)
    assert power[128].mean > power[8].mean and power[128].mean >= 0.9


def test_pairwise_judge_keeps_only_order_consistent_verdicts(tmp_path, suite):
    store = tmp_path / "s.sqlite"
    train, test = paired(store, suite, "mock/alpha", "mock/beta", n_train=40, n_test=40)
    runner = Runner(ResponseStore(store), show_progress=False)
    judge = load_model("mock/j?judge=pairwise")
    result = evaluate_indistinguishability(train, test, ["judge"], runner=runner, judge=judge)
    assert result.judge.coverage.mean == 1.0 and result.judge.advantage.mean == 1.0
    same_train, same_test = paired(store, suite, "mock/a", "mock/a", n_train=40, n_test=40, temperature=1.0, student_sample=1)
    biased = evaluate_indistinguishability(same_train, same_test, ["judge"], runner=runner, judge=judge).judge
    assert biased.consistent == 0 and biased.advantage_all_pairs.mean == 0.0  # always "A": thrown away, not counted as skill


def test_indist_command_generates_and_writes_the_epsilon_table(cli, tmp_path, monkeypatch):
    import distillscope.cli.indist_cmd as indist_cmd

    monkeypatch.setattr(indist_cmd, "_embedder", lambda store: HashingEmbedder())
    out = tmp_path / "indist.json"
    code, stdout, err = cli("indist", "--teacher", "mock/alpha", "--student", "mock/beta", "--adversaries", "style,embed,mmd,judge",
                            "--judge", "mock/j?judge=pairwise", "--n", "30", "--n-train", "30", "-o", out, "--no-progress")
    assert code == 0, err
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["kind"] == "indist" and data["models"]["judge"] == "mock/j?judge=pairwise"
    rows = data["results"]["epsilon_table"]
    assert {r["adversary"] for r in rows} == {"style", "embed", "judge"} and "(ε, q, t, A)" in stdout


def test_indist_command_refuses_unknown_adversaries_and_a_judge_less_judge_run(cli):
    code, _, err = cli("indist", "--teacher", "mock/a", "--student", "mock/b", "--adversaries", "style,psychic")
    assert code == 2 and "psychic" in err
    code, _, err = cli("indist", "--teacher", "mock/a", "--student", "mock/b", "--adversaries", "judge")
    assert code == 2 and "--judge" in err


def test_encoder_adversary_fine_tunes_and_separates_two_models(tmp_path, suite):
    pytest.importorskip("torch")
    from distillscope.indist.adversaries import Adversary
    from distillscope.indist.encoder import EncoderAdversary
    from distillscope.models.mock import _VOCABULARY
    from distillscope.testing.tiny_hf import make_tiny_encoder

    model_dir = make_tiny_encoder(tmp_path / "tiny", words=[*_VOCABULARY, "alpha", "beta"])
    train, test = paired(tmp_path / "s.sqlite", suite, "mock/alpha", "mock/beta", n_train=60, n_test=40)
    adversary = EncoderAdversary(model_dir=model_dir, epochs=4, batch_size=8, learning_rate=1e-3)
    assert isinstance(adversary, Adversary)
    result = evaluate_indistinguishability(train, test, ["encoder"], encoder_options={"model_dir": model_dir, "epochs": 4,
                                                                                      "batch_size": 8, "learning_rate": 1e-3})
    assert result.learned["encoder"].advantage.mean > 0.8
    adversary.fit(train.teacher + train.student, [1] * 60 + [0] * 60)
    assert np.mean(adversary.losses[-5:]) < np.mean(adversary.losses[:5])  # it learned
    assert adversary.train_seconds > 0
