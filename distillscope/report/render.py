"""The audit report: one self-contained HTML file that works offline.

Plotly's JavaScript is inlined once; each chart's data is embedded as JSON
with <, > and & escaped, so no string can close the script element. Every
model-produced string reaches the page through jinja2's autoescaping, never
as markup. Charts only carry model specs, category names and numbers.
"""

from __future__ import annotations

import json
from collections import defaultdict
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distillscope.report.tables import (
    MIN_CATEGORY_N,
    category_rows,
    cell_text,
    control_rows,
    degree_rows,
    ice_category_rows,
    judge_control_rows,
    matrix_rows,
    q_curve_rows,
)

if TYPE_CHECKING:
    from distillscope.results import Results

SECTIONS = ("verdicts", "controls", "matrix", "heatmap", "qcurves", "rse", "ice", "attribution", "degree", "examples")


def _safe_json(value: Any) -> str:
    """JSON that can sit inside a <script> tag: no `<`, `>` or `&` that could close it."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def figure_json(fig: Any) -> str:
    """A plotly figure (the `export` extra, untyped) as the JSON the page's plotly.js draws."""
    spec = json.loads(fig.to_json())
    return _safe_json({"data": spec["data"], "layout": spec["layout"]})


def _error(rows: list[dict]) -> dict:
    return {
        "type": "data",
        "symmetric": False,
        "array": [(r["high"] - r["mean"]) if r["high"] is not None else 0 for r in rows],
        "arrayminus": [(r["mean"] - r["low"]) if r["low"] is not None else 0 for r in rows],
    }


def heatmaps(results: "Results") -> list[tuple[str, str, dict]]:
    """Per metric: a heat map whose every cell shows (and hovers) its mean, interval and n, and the same as a table.

    Cells resting on fewer than MIN_CATEGORY_N prompts are drawn grey and labelled "too few",
    never coloured as a finding.
    """
    import plotly.graph_objects as go

    by_metric: dict[str, list[dict]] = defaultdict(list)
    for row in category_rows(results):
        by_metric[row["metric"]].append(row)
    out = []
    for metric, rows in by_metric.items():
        students = sorted({r["student"] for r in rows})
        categories = sorted({r["category"] for r in rows})
        cell = {(r["student"], r["category"]): r for r in rows}
        grid = [[cell.get((s, c)) for c in categories] for s in students]
        z = [[r["mean"] if r and not r["too_few"] else None for r in line] for line in grid]
        text = [[cell_text(r) if r and not r["too_few"] else "" for r in line] for line in grid]
        grey = [[0 if r and r["too_few"] else None for r in line] for line in grid]
        grey_text = [[cell_text(r) if r and r["too_few"] else "" for r in line] for line in grid]
        hover = "%{y} · %{x}<br>%{text}<extra></extra>"
        advantage = "advantage" in metric  # signed: a diverging scale centred on 0
        fig = go.Figure(
            [
                go.Heatmap(
                    z=grey,
                    x=categories,
                    y=students,
                    colorscale=[[0, "#d9d9d9"], [1, "#d9d9d9"]],
                    showscale=False,
                    text=grey_text,
                    texttemplate="%{text}",
                    hovertemplate=hover,
                    hoverongaps=False,
                ),
                go.Heatmap(
                    z=z,
                    x=categories,
                    y=students,
                    colorscale="RdBu_r" if advantage else "Viridis",
                    zmin=-1 if advantage else 0,
                    zmax=1,
                    text=text,
                    texttemplate="%{text}",
                    hovertemplate=hover,
                    hoverongaps=False,
                ),
            ]
        )
        fig.update_layout(
            title=f"{metric} per category (grey: fewer than {MIN_CATEGORY_N} prompts)", height=160 + 60 * len(students), margin={"l": 260}
        )
        table = {
            "categories": categories,
            "rows": [
                (s, [{"text": cell_text(r) if r else "–", "too_few": bool(r and r["too_few"])} for r in line])
                for s, line in zip(students, grid)
            ],
        }
        out.append((metric, figure_json(fig), table))
    return out


def q_curve_figures(results: "Results") -> list[tuple[str, str]]:
    import plotly.graph_objects as go

    by_student: dict[str, list[dict]] = defaultdict(list)
    for row in q_curve_rows(results):
        by_student[row["student"]].append(row)
    out = []
    for student, rows in by_student.items():
        fig = go.Figure()
        for adversary in sorted({r["metric"] for r in rows}):
            series = sorted((r for r in rows if r["metric"] == adversary), key=lambda r: r["q"])
            fig.add_trace(
                go.Scatter(
                    x=[r["q"] for r in series], y=[r["mean"] for r in series], name=adversary, mode="lines+markers", error_y=_error(series)
                )
            )
        qs = sorted({r["q"] for r in rows})
        fig.update_layout(
            title=f"advantage vs queries q: {student}",
            xaxis={"type": "log", "title": "q", "tickvals": qs},
            yaxis={"title": "advantage", "range": [-1.05, 1.05]},
            height=380,
        )
        out.append((student, figure_json(fig)))
    return out


def rse_figures(results: "Results") -> list[tuple[str, str]]:
    import plotly.graph_objects as go

    out = []
    for student, s in results.students.items():
        scores = [p.scores for p in (s.rse.pairs if s.rse else []) if p.scores]
        if not scores:
            continue
        fig = go.Figure()
        for aspect in ("style", "structure", "content"):
            counts = [sum(1 for p in scores if round(p.get(aspect, 0)) == v) for v in range(1, 6)]
            fig.add_trace(go.Bar(x=[1, 2, 3, 4, 5], y=counts, name=aspect))
        fig.update_layout(
            title=f"RSE score distribution per aspect: {student}",
            barmode="group",
            height=340,
            xaxis={"title": "score"},
            yaxis={"title": "pairs"},
        )
        out.append((student, figure_json(fig)))
    return out


def ice_figures(results: "Results") -> list[tuple[str, str]]:
    import plotly.graph_objects as go

    by_student: dict[str, list[dict]] = defaultdict(list)
    for row in ice_category_rows(results):
        by_student[row["student"]].append(row)
    out = []
    for student, rows in by_student.items():
        fig = go.Figure()
        for score, colour in (("ICE loose", "#636efa"), ("ICE strict", "#ef553b"), ("ICE hard", "#00cc96")):
            series = [r for r in rows if r["metric"] == score]
            fig.add_trace(
                go.Bar(
                    x=[r["category"] for r in series],
                    y=[r["mean"] for r in series],
                    name=score.split()[1],
                    error_y=_error(series),
                    hovertext=[cell_text(r) for r in series],
                    hoverinfo="x+name+text",
                    marker={"color": ["#d9d9d9" if r["too_few"] else colour for r in series]},
                )
            )
        fig.update_layout(
            title=f"identity conflicts per fact category: {student} (grey: fewer than {MIN_CATEGORY_N} queries)",
            barmode="group",
            height=340,
            yaxis={"title": "successes / queries", "range": [0, 1]},
        )
        out.append((student, figure_json(fig)))
    return out


def render_report(results: "Results") -> str:
    import jinja2
    import plotly.offline

    template_dir = Path(str(files("distillscope.report").joinpath("templates")))
    # lenient undefined: a results file without ICE (say) simply lacks that section's rows
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(template_dir), autoescape=True)
    matrix = matrix_rows(results)
    metrics = list(dict.fromkeys(r["metric"] for r in matrix))
    cells = {(r["student"], r["metric"]): r for r in matrix}
    return env.get_template("report.html.jinja2").render(
        results=results,
        metrics=metrics,
        cells=cells,
        heatmaps=heatmaps(results),
        q_curves=q_curve_figures(results),
        rse_figures=rse_figures(results),
        ice_figures=ice_figures(results),
        plotly_js=plotly.offline.get_plotlyjs(),
        controls=control_rows(results),
        ladder=results.controls,
        judge_controls=judge_control_rows(results),
        degree=degree_rows(results),
    )


def write_report(results: "Results", path: Path) -> Path:
    from distillscope.paths import atomic_write_text

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, render_report(results))  # a temporary file beside it, synced, then renamed
    return path


def read_report_results(path: Path) -> "Results":
    """A results file checked before rendering: one line naming what is wrong with any other file."""
    from distillscope.errors import InputFileError
    from distillscope.results import read_results

    results = read_results(path)
    if not results.students:
        raise InputFileError(f"{path} holds no student's results", "give the results.json of an audit or a metric command")
    return results
