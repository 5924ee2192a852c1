"""Measures that failed their validity controls never reach a verdict (METHODS.md section 8)."""

from __future__ import annotations

from typed_results import complete, results, student

from distillscope.audit.verdict import verdict_for
from distillscope.report.tables import control_rows, matrix_rows


def _estimate(mean: float, low: float, high: float, n: int = 60) -> dict:
    return {"mean": mean, "low": low, "high": high, "n": n}


def _controls(**validity: bool):
    from distillscope.metrics.controls import LadderResult

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
