"""Per-category cells carry their n and interval, and cells on fewer than 10 prompts read "too few", not a finding."""

import json

from typed_results import results as typed_results

from distillscope.report.tables import category_rows, cell_text, matrix_rows


def results():
    few = {"mean": 1.0, "low": 1.0, "high": 1.0, "n": 2}  # two prompts: an "advantage" of 1.00 by chance
    enough = {"mean": 0.25, "low": 0.05, "high": 0.45, "n": 40}
    student = {
        "similarity": {"overall": {"cosine": enough}, "by_category": {"math": {"cosine": enough}, "style": {"cosine": few}}},
        "rse": {
            "rse": {"mean": 3.5, "low": 3.2, "high": 3.8, "n": 36},
            "sensitivity": {
                "unscored": 4,
                "if_all_1": {"mean": 3.25, "low": 2.9, "high": 3.6, "n": 40},
                "if_all_5": {"mean": 3.65, "low": 3.4, "high": 3.9, "n": 40},
            },
        },
        "indist": {
            "learned": {"style": {"advantage": enough, "by_category": {"math": enough, "style": few}, "q_curve": {"1": enough}}},
            "judge": None,
            "mmd": None,
        },
        "ice": {
            "overall": {"loose": enough, "strict": enough, "hard": enough},
            "queries": 40,
            "by_category": {
                "team": {"loose": enough, "strict": enough, "hard": enough},
                "geography": {"loose": few, "strict": few, "hard": few},
            },
        },
        "verdict": {"headline": "h", "points": []},
    }
    return typed_results({"mock/beta": student})


def test_category_rows_flag_cells_on_fewer_than_ten_prompts():
    rows = {(r["metric"], r["category"]): r for r in category_rows(results())}
    assert rows[("advantage: style", "style")]["too_few"] and not rows[("advantage: style", "math")]["too_few"]
    assert cell_text(rows[("advantage: style", "style")]) == "too few (n=2)"
    assert cell_text(rows[("advantage: style", "math")]) == "0.25 [0.05, 0.45] n=40"


def test_heatmap_draws_too_few_cells_grey_and_every_cell_with_its_n_and_interval():
    from distillscope.report.render import heatmaps

    maps = {metric: (json.loads(figure), table) for metric, figure, table in heatmaps(results())}
    figure, table = maps["advantage: style"]
    grey, coloured = figure["data"]
    assert table["categories"] == ["math", "style"]
    assert coloured["z"] == [[0.25, None]] and grey["z"] == [[None, 0]]  # the 1.00 on two prompts is not coloured
    assert coloured["text"] == [["0.25 [0.05, 0.45] n=40", ""]] and grey["text"] == [["", "too few (n=2)"]]
    assert "%{text}" in coloured["hovertemplate"] and "%{text}" in grey["hovertemplate"]
    assert table["rows"] == [
        ("mock/beta", [{"text": "0.25 [0.05, 0.45] n=40", "too_few": False}, {"text": "too few (n=2)", "too_few": True}])
    ]


def test_report_tables_show_too_few_and_the_rse_sensitivity_bound():
    from distillscope.report.render import render_report

    html = render_report(results())
    assert '<td class="num toofew">too few (n=2)</td>' in html and "0.25 [0.05, 0.45] n=40" in html
    metrics = {r["metric"]: r for r in matrix_rows(results())}
    assert metrics["RSE if unscored = 1"]["mean"] == 3.25 and metrics["RSE if unscored = 5"]["mean"] == 3.65
    assert "RSE if unscored = 5" in html


def test_ice_bars_grey_out_categories_with_too_few_queries():
    from distillscope.report.render import ice_figures

    ((_, figure),) = ice_figures(results())
    bars = json.loads(figure)["data"]
    for bar in bars:
        colours = dict(zip(bar["x"], bar["marker"]["color"]))
        assert colours["geography"] == "#d9d9d9" and colours["team"] != "#d9d9d9"
        assert "too few (n=2)" in bar["hovertext"]
