"""Calibration of the paired statistics on simulated data with a strong per-prompt effect (a fast subset of `make calibrate`).

Each check must fail for the implementation it replaced: the pooled
relabelling MMD test gives p ≈ 1 on these data whatever the models do, so
its p-values are far from uniform under the null and it has no power.
"""

import json

import numpy as np
import pytest

from distillscope.calibration.checks import advantage_coverage, mmd_rejections, q_curve_gaps
from distillscope.calibration.replay import write_replay_dataset


@pytest.fixture(scope="module")
def null_p_values():
    return mmd_rejections(40, 0.0, seed=0)


def test_paired_mmd_is_calibrated_under_the_null(null_p_values):
    from scipy.stats import kstest

    assert np.mean(null_p_values < 0.05) <= 0.15
    assert kstest(null_p_values, "uniform").pvalue > 0.01


def test_paired_mmd_has_power_against_a_moderate_style_shift():
    assert np.mean(mmd_rejections(40, 1.0, seed=1) < 0.05) >= 0.8


def test_the_pooled_relabelling_fails_both_checks():
    from scipy.stats import kstest

    pooled_null = mmd_rejections(20, 0.0, design="pooled", seed=0)
    assert kstest(pooled_null, "uniform").pvalue < 0.01  # p-values pile up near 1
    assert np.mean(mmd_rejections(20, 1.0, design="pooled", seed=1) < 0.05) < 0.2


def test_advantage_intervals_cover_the_true_advantage():
    assert advantage_coverage(40, shift=1.5) >= 0.85


def test_q_curve_bootstrap_is_centred_on_the_point():
    gaps = q_curve_gaps(3, resamples=100)
    assert gaps and all(abs(gap) <= 0.03 for gap in gaps.values())


@pytest.mark.parametrize("shifted", [False, True])
def test_indist_command_on_replayed_paired_answers(cli, tmp_path, monkeypatch, shifted):
    from distillscope.testing.hashing_embedder import HashingEmbedder

    monkeypatch.setattr("distillscope.metrics.embeddings.Embedder", lambda cache=None, **kw: HashingEmbedder())
    data_dir = write_replay_dataset(tmp_path / "data", prompts=120, samples=2, shifted=shifted)
    out = tmp_path / "indist.json"
    code, _, err = cli(
        "indist",
        "--teacher",
        f"replay/{data_dir / 'teacher.jsonl'}",
        "--student",
        f"replay/{data_dir / 'student.jsonl'}",
        "--suite",
        data_dir / "suite.jsonl",
        "--adversaries",
        "style,mmd",
        "--n",
        "60",
        "--n-train",
        "60",
        "--samples",
        "2",
        "--temperature",
        "0.7",
        "--store",
        tmp_path / "s.sqlite",
        "-o",
        out,
        "--no-progress",
    )
    assert code == 0, err
    results = next(iter(json.loads(out.read_text(encoding="utf-8"))["students"].values()))["indist"]
    p_value, style = results["mmd"]["test"]["p_value"], results["learned"]["style"]["advantage"]
    if shifted:
        assert p_value < 0.01 and 0.2 < style["low"] <= style["mean"] <= 0.75  # half the answers are shifted
    else:
        assert p_value > 0.05 and style["low"] < 0 < style["high"]
