"""Flat rows from typed results: the terminal summary, the report's matrix and heat maps, and the DataFrame view share them.

Each metric contributes its own rows (`pipeline.metric.Metric.rows`), so a new
metric appears in every table without touching this module. Every per-category
row carries its n and interval, and `too_few` when it rests on fewer than
MIN_CATEGORY_N prompts: such a cell is shown as "too few", never coloured as a
finding (two prompts can give an advantage of ±1.00 by chance).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from distillscope.pipeline.metric import MIN_CATEGORY_N

if TYPE_CHECKING:
    from distillscope.results import Results

__all__ = [
    "MIN_CATEGORY_N",
    "category_rows",
    "cell_text",
    "control_rows",
    "degree_rows",
    "example_rows",
    "ice_category_rows",
    "judge_control_rows",
    "load_results",
    "matrix_rows",
    "q_curve_rows",
    "results_frames",
]


def _all_rows(results: "Results") -> list[dict]:
    from distillscope.pipeline.registry import registry

    rows = []
    for student, section in results.students.items():
        for name, metric in registry().items():
            result = section.result(name)
            model = getattr(metric, "result_model", None)
            if isinstance(result, dict) and model is not None:  # a plugin's result, read back from JSON
                result = model.model_validate(result)
            if result is not None:
                rows += [{**row.model_dump(exclude={"extra"}), **row.extra} for row in metric.rows(student, result, results)]
    return rows


def matrix_rows(results: "Results") -> list[dict]:
    """One row per (student, headline metric), each with its interval, and `invalid` when the ladder failed the measure."""
    return [r for r in _all_rows(results) if r["category"] is None]


def category_rows(results: "Results") -> list[dict]:
    """Per (student, category): cosine and each adversary's advantage, each with n, interval and `too_few`."""
    return [r for r in _all_rows(results) if r["category"] is not None and not r["metric"].startswith("ICE ")]


def ice_category_rows(results: "Results") -> list[dict]:
    return [r for r in _all_rows(results) if r["category"] is not None and r["metric"].startswith("ICE ")]


def q_curve_rows(results: "Results") -> list[dict]:
    from distillscope.pipeline.indist import q_curve_rows as rows_of

    return [row for student, s in results.students.items() if s.indist for row in rows_of(student, s.indist)]


def cell_text(row: dict) -> str:
    """A per-category cell as text: mean [low, high] n=…, or "too few (n=…)"."""
    if row.get("too_few"):
        return f"too few (n={row['n']})"
    low, high = row.get("low"), row.get("high")
    interval = f" [{low:.2f}, {high:.2f}]" if low is not None and high is not None and low != high else " (no interval)"
    return f"{row['mean']:.2f}{interval} n={row['n']}"


def control_rows(results: "Results") -> list[dict]:
    """The control ladder as rows: per measure, AUC(resample vs other prompt), AUC(self vs other prompt), validity."""
    if results.controls is None:
        return []
    return [
        {
            "measure": name,
            "auc_resample_vs_other": c.auc_resample_vs_other,
            "auc_self_vs_other": c.auc_self_vs_other,
            "valid": c.valid,
            "status": c.status,
            "reason": c.reason,
        }
        for name, c in results.controls.measures.items()
    ]


def judge_control_rows(results: "Results") -> list[dict]:
    """The judges' own controls per student: the pairwise judge's on-topic test and the ICE conflict judge's AUC."""
    rows = []
    for student, s in results.students.items():
        for section, label in ((s.indist, "pairwise judge"), (s.ice, "ICE conflict judge")):
            if section is not None and section.judge_control is not None:
                control = section.judge_control
                rows.append({"student": student, **control.model_dump(), "judge": label, "judge_name": control.judge})
    return rows


def degree_rows(results: "Results") -> list[dict]:
    """Per student with a degree result: its status and one-line summary, and each series' estimate with its interval."""
    rows = []
    for student, s in results.students.items():
        if s.degree is None:
            continue
        row = {"student": student, **s.degree.model_dump(exclude={"estimate"}), "calibration_students": []}
        estimate = s.degree.estimate
        for e in (estimate.budget, estimate.fraction) if estimate else ():
            if e is not None:  # budget: teacher answers (the log scale undone); fraction: the teacher's share
                point, low, high = e.teacher_answers if e.series == "budget" else (e.point, e.low, e.high)
                row.update({f"{e.series}": point, f"{e.series}_low": low, f"{e.series}_high": high, f"{e.series}_status": e.status})
                row[f"{e.series}_message"] = e.message
                row["calibration_students"] = sorted({*row["calibration_students"], *e.calibration_students})
        if estimate is not None:
            row["left_out"] = estimate.left_out
        rows.append(row)
    return rows


def example_rows(results: "Results") -> list[dict]:
    rows = []
    for student, s in results.students.items():
        if s.similarity is not None:
            for kind, examples in (("most_similar", s.similarity.most_similar), ("least_similar", s.similarity.least_similar)):
                rows += [{"student": student, "kind": kind, **e.model_dump()} for e in examples]
    return rows


def results_frames(path: str | Path) -> dict:
    """A results file as pandas DataFrames: matrix, by_category, q_curves, ice_by_category, degree, examples."""
    from distillscope.extras import require
    from distillscope.results import read_results

    pd = require("pandas", purpose="load_results")
    results = read_results(path)
    return {
        "matrix": pd.DataFrame(matrix_rows(results)),
        "by_category": pd.DataFrame(category_rows(results)),
        "q_curves": pd.DataFrame(q_curve_rows(results)),
        "ice_by_category": pd.DataFrame(ice_category_rows(results)),
        "degree": pd.DataFrame(degree_rows(results)),
        "examples": pd.DataFrame(example_rows(results)),
    }


load_results = results_frames  # the first name; `results_frames` says it returns DataFrames
