"""Measures that failed their validity controls never reach a verdict (METHODS.md section 8)."""

from __future__ import annotations

from typed_results import complete, results, student

from distillscope.audit.verdict import verdict_for
from distillscope.report.tables import control_rows, matrix_rows


def _estimate(mean: float, low: float, high: float, n: int = 60) -> dict:
    return {"mean": mean, "low": low, "high": high, "n": n}


def _controls(**validity: bool):
    from distillscope.controls.ladder_result import LadderResult

    return complete(
        LadderResult,
        {
            "measures": {
                name: {
                    "measure": name,
                    "valid": ok,
                    "reason": "AUC(2 vs 3) 0.51 < 0.8" if not ok else "ok",
                    "auc_resample_vs_other": _estimate(0.51 if not ok else 0.95, 0.3, 0.7),
                    "auc_self_vs_other": None,
                }
                for name, ok in validity.items()
            }
        },
    )


SECTION = {
    "similarity": {"overall": {"cosine": _estimate(0.62, 0.55, 0.69)}},
    "rse": {"rse": _estimate(3.1, 3.0, 3.2), "n_scored": 60, "n_pairs": 60},
}


def test_an_invalid_cosine_and_rse_are_named_as_unused_and_their_numbers_left_out():
    verdict = verdict_for(student(**SECTION), _controls(cosine=False, rse=False))
    text = " ".join(verdict.points)
    assert "embedding cosine: invalid for this run" in text and "RSE: invalid for this run" in text
    assert "0.62" not in text and "3.10" not in text


def test_valid_measures_are_quoted_with_their_numbers():
    verdict = verdict_for(student(**SECTION), _controls(cosine=True, rse=True))
    text = " ".join(verdict.points)
    assert "0.62" in text and "3.10" in text and "invalid" not in text


def test_a_pairwise_judge_that_failed_its_control_cannot_make_a_student_distinguishable():
    judge = {"advantage_all_pairs": _estimate(0.6, 0.45, 0.75), "scores": [1.0] * 60}
    indist = {
        "n_test": 60,
        "learned": {},
        "judge": judge,
        "epsilon_table": [{"adversary": "judge", "q": 1, "advantage": 0.6, "low": 0.45, "high": 0.75, "n": 60}],
    }
    trusted = verdict_for(student(indist=indist))
    assert "distinguishable" in trusted.headline and "undecided" not in trusted.headline
    failed = verdict_for(student(indist={**indist, "judge_control": {"valid": False, "reason": "on-topic 0.40 < 0.8"}}))
    assert "distinguishable from the teacher" not in failed.headline
    assert any("failed its control" in p for p in failed.points)


def test_the_report_greys_invalid_measures_and_lists_the_ladder():
    typed = results({"s": SECTION}, controls=_controls(cosine=False, rse=True).model_dump())
    rows = {r["metric"]: r for r in matrix_rows(typed)}
    assert rows["similarity: cosine"]["invalid"] and rows["RSE (1-5)"]["invalid"] is None
    assert {r["measure"]: r["valid"] for r in control_rows(typed)} == {"cosine": False, "rse": True}


def test_the_headline_quotes_the_decisive_bound_of_an_adversary_picked_on_the_test_data():
    """Issue 31 (suspected, confirmed by simulation): the best adversary's plain 95% interval, picked on the test data, covers less."""
    indist = {
        "n_test": 200,
        "selected": "style",
        "epsilon_class": {"epsilon": 0.6, "adversary": "embed", "missing": [], "k": 2},
        "epsilon_table": [],
        "learned": {
            "style": {"advantage": _estimate(0.05, -0.05, 0.15, 200)},
            "embed": {"advantage": _estimate(0.40, 0.30, 0.50, 200), "q_curve_simultaneous": {1: (0.27, 0.53)}},
        },
    }
    headline = verdict_for(student(indist=indist)).headline
    assert "distinguishable" in headline and "embed advantage 0.40, simultaneous lower bound 0.27" in headline
    assert "[0.30, 0.50]" not in headline
    indist["selected"] = "embed"  # chosen on the train split: its own 95% interval is honest
    assert "embed advantage 0.40 [0.30, 0.50]" in verdict_for(student(indist=indist)).headline


def test_an_undecided_measure_is_quoted_as_not_validated_and_a_degenerate_one_without_an_interval():
    controls = _controls(cosine=True, rse=True)
    controls.measures["cosine"] = controls.measures["cosine"].model_copy(
        update={"valid": False, "status": "undecided", "reason": "straddles"}
    )
    section = {**SECTION, "rse": {"rse": _estimate(5.0, 5.0, 5.0), "n_scored": 60, "n_pairs": 60}}
    text = " ".join(verdict_for(student(**section), controls).points)
    assert "not validated by the control ladder (undecided: straddles)" in text and "0.62" in text
    assert "[5.00, 5.00]" not in text and "5.00 (" in text
