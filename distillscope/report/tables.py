"""Flat rows from an audit results file: the report's matrix and `load_results`' DataFrames share them.

Every per-category row carries its n and interval, and `too_few` when it rests on
fewer than MIN_CATEGORY_N prompts: such a cell is shown as "too few", never
coloured as a finding (two prompts can give an advantage of ±1.00 by chance).
"""

from __future__ import annotations

MIN_CATEGORY_N = 10


def students_of(results: dict) -> dict:
    """The per-student sections of an audit results file (the envelope's `results.students`)."""
    return (results.get("results") or results)["students"]


def _row(student: str, metric: str, estimate: dict | None, **extra) -> dict | None:  # noqa: ANN003
    if not estimate or estimate.get("mean") is None:
        return None
    return {"student": student, "metric": metric, "mean": estimate["mean"], "low": estimate.get("low"),
            "high": estimate.get("high"), "n": estimate.get("n"), **extra}


def controls_of(results: dict) -> dict | None:
    """The audit's control ladder (metrics/controls.py LadderResult as a dict), or None when none ran."""
    return (results.get("results") or results).get("controls")


def _flagged(results: dict, row: dict | None, measure: str) -> dict | None:
    if row is not None:
        from distillscope.metrics.controls import invalid_reason

        row["invalid"] = invalid_reason(controls_of(results), measure)
    return row


def matrix_rows(results: dict) -> list[dict]:
    """One row per (student, headline metric), each with its interval, and `invalid` when the ladder failed the measure."""
    rows: list[dict | None] = []
    for student, s in students_of(results).items():
        similarity = (s.get("similarity") or {}).get("overall") or {}
        rows += [_flagged(results, _row(student, f"similarity: {m}", similarity.get(m)), m) for m in ("cosine", "rouge_l", "chrf")]
        aspects = (s.get("aspects") or {}).get("overall") or {}
        rows += [_flagged(results, _row(student, f"aspect similarity: {m}", e), m) for m, e in aspects.items()]
        rse = s.get("rse") or {}
        rows.append(_flagged(results, _row(student, "RSE (1-5)", rse.get("rse")), "rse"))
        bound = rse.get("sensitivity") or {}
        if bound.get("unscored"):  # the failures' reach: every unscored pair refilled with 1, then with 5
            rows.append(_row(student, "RSE if unscored = 1", bound.get("if_all_1"), unscored=bound["unscored"]))
            rows.append(_row(student, "RSE if unscored = 5", bound.get("if_all_5"), unscored=bound["unscored"]))
        ice = (s.get("ice") or {}).get("overall") or {}
        rows += [_row(student, f"ICE {k}", ice.get(k)) for k in ("loose", "strict", "hard")]
        indist = s.get("indist") or {}
        for name, adversary in (indist.get("learned") or {}).items():
            rows.append(_row(student, f"advantage: {name}", adversary["advantage"]))
        if indist.get("judge"):
            rows.append(_row(student, "advantage: pairwise judge", indist["judge"]["advantage_all_pairs"],
                             coverage=indist["judge"]["coverage"]["mean"]))
        if indist.get("mmd"):
            test = indist["mmd"]["test"]
            rows.append({"student": student, "metric": "MMD p-value", "mean": test["p_value"], "low": None, "high": None,
                         "n": test["n_x"]})
    return [r for r in rows if r]


def _category_row(student: str, metric: str, estimate: dict | None, category: str) -> dict | None:
    row = _row(student, metric, estimate, category=category)
    if row is not None:
        row["too_few"] = (row["n"] or 0) < MIN_CATEGORY_N
    return row


def category_rows(results: dict) -> list[dict]:
    """Per (student, category): cosine, and the advantage of each adversary, each with n, interval and `too_few`."""
    rows = []
    for student, s in students_of(results).items():
        for category, metrics in ((s.get("similarity") or {}).get("by_category") or {}).items():
            rows.append(_category_row(student, "cosine", metrics.get("cosine"), category))
        indist = s.get("indist") or {}
        for name, adversary in (indist.get("learned") or {}).items():
            for category, estimate in adversary["by_category"].items():
                rows.append(_category_row(student, f"advantage: {name}", estimate, category))
        for category, estimate in ((indist.get("judge") or {}).get("by_category") or {}).items():
            rows.append(_category_row(student, "advantage: pairwise judge (consistent pairs)", estimate, category))
    return [r for r in rows if r]


def cell_text(row: dict) -> str:
    """A per-category cell as text: mean [low, high] n=…, or "too few (n=…)"."""
    if row.get("too_few"):
        return f"too few (n={row['n']})"
    interval = f" [{row['low']:.2f}, {row['high']:.2f}]" if row.get("low") is not None and row.get("high") is not None else ""
    return f"{row['mean']:.2f}{interval} n={row['n']}"


def control_rows(results: dict) -> list[dict]:
    """The control ladder as rows: per measure, AUC(resample vs other prompt), AUC(self vs other prompt), validity."""
    rows = []
    for name, control in ((controls_of(results) or {}).get("measures") or {}).items():
        rows.append({"measure": name, "auc_resample_vs_other": control.get("auc_resample_vs_other"),
                     "auc_self_vs_other": control.get("auc_self_vs_other"), "valid": control.get("valid"),
                     "reason": control.get("reason")})
    return rows


def judge_control_rows(results: dict) -> list[dict]:
    """The judges' own controls per student: the pairwise judge's on-topic test and the ICE conflict judge's AUC."""
    rows = []
    for student, s in students_of(results).items():
        for section, label in (("indist", "pairwise judge"), ("ice", "ICE conflict judge")):
            control = (s.get(section) or {}).get("judge_control")
            if control:
                rows.append({"student": student, **control, "judge": label, "judge_name": control.get("judge")})
    return rows


def q_curve_rows(results: dict) -> list[dict]:
    rows = []
    for student, s in students_of(results).items():
        for name, adversary in ((s.get("indist") or {}).get("learned") or {}).items():
            for q, estimate in adversary["q_curve"].items():
                rows.append(_row(student, name, estimate, q=int(q)))
    return [r for r in rows if r]


def ice_category_rows(results: dict) -> list[dict]:
    rows = []
    for student, s in students_of(results).items():
        for category, scores in ((s.get("ice") or {}).get("by_category") or {}).items():
            rows += [_category_row(student, f"ICE {k}", scores.get(k), category) for k in ("loose", "strict", "hard")]
    return [r for r in rows if r]


def example_rows(results: dict) -> list[dict]:
    rows = []
    for student, s in students_of(results).items():
        for kind, examples in (s.get("examples") or {}).items():
            rows += [{"student": student, "kind": kind, **example} for example in examples]
    return rows


def load_results(path) -> dict:  # noqa: ANN001
    """An audit results file as pandas DataFrames: matrix, by_category, q_curves, ice_by_category, examples."""
    import json
    from pathlib import Path

    from distillscope.errors import InputFileError
    from distillscope.extras import require

    pd = require("pandas", purpose="load_results")
    path = Path(path)
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputFileError(f"cannot read results {path}: {exc}".splitlines()[0], "give the results.json an audit wrote") from None
    if results.get("kind") != "audit":
        raise InputFileError(f"{path} holds '{results.get('kind')}' results, not an audit", "give the results.json an audit wrote")
    return {"matrix": pd.DataFrame(matrix_rows(results)), "by_category": pd.DataFrame(category_rows(results)),
            "q_curves": pd.DataFrame(q_curve_rows(results)), "ice_by_category": pd.DataFrame(ice_category_rows(results)),
            "examples": pd.DataFrame(example_rows(results))}
