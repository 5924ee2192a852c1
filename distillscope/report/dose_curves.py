"""`degree --curves --html FILE`: every measure's dose curve as one self-contained page that works offline.

Per measure a chart of each student's value with its 95% interval against its dose, the seeds apart, and the
fitted (isotonic) curve the estimator inverts: the budget series on a log(1 + teacher answers) axis, the
mixture series against the teacher's share. Beside it the numbers the text output gives (Kendall's tau, the
detection limit, saturation, the estimator's leave-one-out error and error budget). Built the way the audit
report is (`render.py`): plotly inlined once, each chart's data as escaped JSON, every string through jinja2's
autoescaping.
"""

from __future__ import annotations

import math
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distillscope.report.render import figure_json

if TYPE_CHECKING:
    from distillscope.degree.result import Series
    from distillscope.degree.zoo_report import DoseZooReport

SEED_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b")


def series_figure(report: DoseZooReport, measure: str, series: Series) -> str | None:
    """One measure's chart on one series (None where the zoo has fewer than two doses on it)."""
    import plotly.graph_objects as go

    from distillscope.degree.curve import DoseCurve
    from distillscope.degree.estimator import series_points

    rows = [o for o in report.observations if o.measure == measure]
    points = series_points(rows, series)
    xs = [x for x, _ in points]
    if len(set(xs)) < 2:
        return None
    fig = go.Figure()
    for seed in sorted({o.seed for _, o in points}):
        mine = [o for _, o in points if o.seed == seed]
        fig.add_trace(
            go.Scatter(
                x=[x for x, o in points if o.seed == seed],
                y=[o.value for o in mine],
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [(o.ci_high - o.value) if o.ci_high is not None else 0 for o in mine],
                    "arrayminus": [(o.value - o.ci_low) if o.ci_low is not None else 0 for o in mine],
                },
                mode="markers",
                name=f"seed {seed}",
                marker={"color": SEED_COLOURS[seed % len(SEED_COLOURS)], "size": 9},
                text=[o.student for o in mine],
                hovertemplate="%{text}: %{y:.4f}<extra></extra>",
            )
        )
    curve = DoseCurve.fit(xs, [o.value for _, o in points])
    fig.add_trace(go.Scatter(x=list(curve.doses), y=list(curve.levels), mode="lines", name="fitted curve", line={"color": "#444"}))
    if series == "budget":
        ticks = sorted(set(xs))
        axis = {"title": "teacher answers (log(1 + n) axis)", "tickvals": ticks, "ticktext": [f"{math.expm1(t):.0f}" for t in ticks]}
    else:
        axis = {"title": "teacher's share of the training answers", "range": [-0.05, 1.05]}
    fig.update_layout(
        title=f"{measure}: {series} series",
        xaxis=axis,
        yaxis={"title": "gain over the base (95% interval)"},
        height=360,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
    )
    return figure_json(fig)


def render_curves(report: DoseZooReport) -> str:
    import jinja2
    import plotly.offline

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(str(files("distillscope.report").joinpath("templates")))), autoescape=True)
    sections: list[dict[str, Any]] = []
    for c in report.curves:
        figures = [f for series in ("budget", "fraction") if (f := series_figure(report, c.measure, series)) is not None]
        sections.append(
            {
                "curve": c,
                "errors": report.estimator_errors.get(c.measure, {}),
                "at_rungs": report.estimator_errors_at_rungs.get(c.measure, {}),
                "resolution": report.resolution.get(c.measure),
                "figures": figures,
            }
        )
    return env.get_template("dose_curves.html.jinja2").render(report=report, sections=sections, plotly_js=plotly.offline.get_plotlyjs())


def write_curves_page(report: DoseZooReport, path: Path) -> Path:
    from distillscope.paths import atomic_write_text

    atomic_write_text(path, render_curves(report))
    return path
