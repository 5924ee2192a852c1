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


def test_the_degree_section_states_the_estimate_its_interval_and_the_calibration_population():
    import math

    from distillscope.report.render import render_report
    from distillscope.report.tables import degree_rows

    def series(name, point, low, high, status="within"):
        return {
            "series": name,
            "point": point,
            "low": low,
            "high": high,
            "status": status,
            "message": f"{name} message",
            "calibrated_min": 0.0,
            "calibrated_max": 7.0,
            "residual_sd": 0.1,
            "calibration_students": ["z-base", f"z-{name}"],
        }

    estimate = {
        "student": "s",
        "teacher": "qwen",
        "base": "hf/b",
        "measure": "m",
        "value": 1.0,
        "left_out": ["z-own"],
        "budget": series("budget", math.log1p(99), math.log1p(29), math.log1p(299)),
        "fraction": series("fraction", 0.5, 0.25, 0.75),
    }
    degree = {
        "status": "estimated",
        "summary": "the line",
        "calibration": "zoos/dose",
        "base": "hf/b",
        "n_prompts": 150,
        "estimate": estimate,
    }
    outside = {
        **degree,
        "status": "outside",
        "summary": "outside the calibrated range: budget: > max calibrated dose (1000 teacher answers)",
        "estimate": {**estimate, "budget": series("budget", 7.0, 6.0, 7.0, "above_max"), "fraction": None},
    }
    data = typed_results({"mock/a": {"degree": degree}, "mock/b": {"degree": outside}, "mock/c": {}})
    rows = {r["student"]: r for r in degree_rows(data)}
    assert set(rows) == {"mock/a", "mock/b"} and round(rows["mock/a"]["budget"]) == 99 and rows["mock/a"]["fraction_high"] == 0.75
    assert rows["mock/a"]["calibration_students"] == ["z-base", "z-budget", "z-fraction"]
    html = render_report(data).split('<section id="degree">', 1)[1].split("</section>", 1)[0]
    assert "How much was it distilled?" in html and "zoos/dose" in html and "z-base, z-budget, z-fraction" in html and "z-own" in html
    assert '<td class="num">99</td>' in html and "29 to 299" in html and "0.25 to 0.75" in html
    assert "mock/b: outside the calibrated range" in html and html.count("–") == 2  # no number past the calibrated range
    matrix = {(r["student"], r["metric"]) for r in matrix_rows(data)}
    assert ("mock/a", "degree: teacher answers") in matrix and not any(s == "mock/b" for s, _ in matrix)
