"""The audit end to end on mock models, the report's safety in a real browser, and load_results."""

import json
import shutil
import subprocess

import pytest
from typed_results import results as typed_results
from typed_results import student

import distillscope.metrics.embeddings as embeddings
from distillscope.testing.hashing_embedder import HashingEmbedder

JUDGE = "mock/judge?judge=auto"
PAYLOADS = (
    "<script>document.title='PWNED-script'</script>",
    "<img src=x onerror=\"document.title='PWNED-img'\">",
    "</textarea><script>document.title='PWNED-textarea'</script>",
    "</script><script>document.title='PWNED-break'</script>",
)


@pytest.fixture
def hashing_embedder(monkeypatch):
    monkeypatch.setattr(embeddings, "Embedder", lambda cache=None, **kw: HashingEmbedder())


def write_config(tmp_path, **extra):
    config = {
        "teacher": "mock/alpha",
        "students": ["mock/beta", "mock/alpha?variant=1"],
        "judge": JUDGE,
        "facts": {"mock/beta": "qwen", "mock/alpha?variant=1": "qwen"},
        "n": 20,
        "n_train": 20,
        "ice_budget": 10,
        "max_tokens": 32,
        "swap_n": 2,
        **extra,
    }
    path = tmp_path / "audit.yaml"
    path.write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML
    return path


def test_audit_writes_results_and_report_and_reruns_from_the_store(cli, tmp_path, hashing_embedder):
    config = write_config(tmp_path, pairwise_judges={"mock/beta": JUDGE, "mock/alpha?variant=1": JUDGE})
    code, stdout, err = cli("audit", "--config", config, "-o", tmp_path / "out", "--no-progress")
    assert code == 0, err
    data = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert data["kind"] == "audit" and data["schema"] == "distillscope.results/2"
    assert data["suite"]["version"].startswith("sha256:") and data["package_version"]
    assert set(data["students"]) == {"mock/beta", "mock/alpha?variant=1"}
    beta = data["students"]["mock/beta"]
    assert all(beta[k] for k in ("similarity", "rse", "ice", "indist", "verdict")) and beta["similarity"]["most_similar"]
    assert data["controls"]["measures"]["cosine"]["auc_resample_vs_other"] is not None  # the ladder reached the file
    assert beta["indist"]["learned"]["embed"]["advantage"]["mean"] > 0.5
    assert beta["ice"]["queries"] == 10 and beta["verdict"]["headline"]
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "Verdict per student" in html and "mock/beta" in html
    # a re-run is served from the store: no model is asked anything
    from distillscope.models.mock import MockModel

    calls = []
    original = MockModel.generate

    async def counting(self, requests):
        calls.append(len(requests))
        return await original(self, requests)

    MockModel.generate = counting
    try:
        code, _, err = cli("audit", "--config", config, "-o", tmp_path / "again", "--no-progress")
    finally:
        MockModel.generate = original
    assert code == 0, err
    assert calls == []
    again = json.loads((tmp_path / "again" / "results.json").read_text(encoding="utf-8"))
    assert without_timings(again["students"]) == without_timings(data["students"])


def without_timings(value):
    """Results minus measured seconds, which differ run to run by design."""
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items() if "seconds" not in k}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value


def test_audit_needs_a_teacher_and_a_judge_for_rse(cli, tmp_path):
    code, _, err = cli("audit", "--student", "mock/beta")
    assert code == 2 and "teacher" in err
    code, _, err = cli("audit", "--teacher", "mock/alpha", "--student", "mock/beta", "--n", "4", "--n-train", "4", "--no-progress")
    assert code == 2 and "--judge" in err


def test_report_command_rerenders_and_refuses_other_results(cli, tmp_path, hashing_embedder):
    from distillscope.report.render import SECTIONS

    config = write_config(tmp_path, metrics=["similarity", "indist"], adversaries=["style", "embed"])
    code, _, err = cli("audit", "--config", config, "-o", tmp_path / "out", "--no-progress")
    assert code == 0, err
    results = tmp_path / "out" / "results.json"
    code, _, err = cli("report", results, "-o", tmp_path / "re.html")
    assert code == 0 and (tmp_path / "re.html").read_text(encoding="utf-8").count("<section") == len(SECTIONS)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"kind": "rse"}), encoding="utf-8")
    code, _, err = cli("report", other)
    assert code == 2 and "schema" in err


def test_load_results_gives_dataframes(cli, tmp_path, hashing_embedder):
    from distillscope import load_results

    config = write_config(tmp_path, metrics=["similarity", "indist"], adversaries=["style", "embed", "mmd"])
    assert cli("audit", "--config", config, "-o", tmp_path / "out", "--no-progress")[0] == 0
    frames = load_results(tmp_path / "out" / "results.json")
    matrix = frames["matrix"]
    assert {"student", "metric", "mean", "low", "high", "n"} <= set(matrix.columns)
    assert set(matrix["student"]) == {"mock/beta", "mock/alpha?variant=1"}
    assert not frames["q_curves"].empty and not frames["by_category"].empty and len(frames["examples"]) == 12
    from distillscope.report.tables import results_frames

    assert load_results is results_frames


def _results_with_payloads():
    from distillscope.report.render import SECTIONS  # noqa: F401 - the sections the browser test expects

    estimate = {"mean": 0.5, "low": 0.4, "high": 0.6, "n": 10}
    example = {"prompt": PAYLOADS[0], "category": "general", "teacher": PAYLOADS[1], "student": PAYLOADS[2], "cosine": 0.5}
    student = {
        "verdict": {"headline": PAYLOADS[3], "points": [PAYLOADS[0]]},
        "similarity": {
            "overall": {"cosine": estimate, "rouge_l": estimate, "chrf": estimate},
            "by_category": {"general": {"cosine": estimate}},
        },
        "rse": {"rse": estimate, "pairs": [{"scores": {"style": 3, "structure": 4, "content": 2}}]},
        "ice": {
            "overall": {"loose": estimate, "strict": estimate, "hard": estimate},
            "queries": 10,
            "by_category": {"team": {"loose": estimate, "strict": estimate, "hard": estimate}},
            "top_templates": [
                {
                    "mutant_id": PAYLOADS[1],
                    "text": PAYLOADS[2],
                    "misleading": False,
                    "queries": 5,
                    "loose_successes": 1,
                    "strict_successes": 1,
                    "example_response": PAYLOADS[3],
                }
            ],
        },
        "indist": {
            "learned": {"style": {"advantage": estimate, "by_category": {"general": estimate}, "q_curve": {"1": estimate, "2": estimate}}},
            "judge": None,
            "mmd": None,
        },
    }
    student["similarity"].update(most_similar=[example], least_similar=[example])
    return typed_results({"mock/<b>x</b>": student}, prompts={"n_test": 10, "n_train": 10})


def test_model_strings_are_escaped_in_the_html(tmp_path):
    from distillscope.report.render import render_report

    html = render_report(_results_with_payloads())
    body = html.split("</head>", 1)[1]
    for payload in PAYLOADS:
        assert payload not in body
    assert "&lt;script&gt;document.title=" in body and "onerror" in body and "<img" not in body


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is installed by .ci/run")
def test_report_opened_in_headless_chromium_runs_no_injected_script_and_shows_every_section(tmp_path):
    from distillscope.report.render import SECTIONS, write_report

    path = write_report(_results_with_payloads(), tmp_path / "report.html")
    dom = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--user-data-dir=" + str(tmp_path / "profile"),
            "--virtual-time-budget=5000",
            "--dump-dom",
            path.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert "PWNED" not in dom.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "<title>distillscope audit" in dom
    for section in SECTIONS:
        assert f'id="{section}"' in dom
    assert "main-svg" in dom  # plotly drew its charts, so the page's own scripts did run


def est(low, high, n=400, mean=None):
    return {"mean": (low + high) / 2 if mean is None else mean, "low": low, "high": high, "n": n}


def indist(n=400, **adversaries):
    return {"indist": {"n_test": n, "learned": {name: {"advantage": e} for name, e in adversaries.items()}}}


@pytest.mark.parametrize(
    "section, headline",
    [
        (indist(style=est(-0.05, 0.05), embed=est(0.6, 0.9)), "clearly distinguishable"),
        (indist(style=est(-0.05, 0.05), embed=est(0.1, 0.4)), "partly distinguishable"),
        (indist(style=est(-0.05, 0.05), embed=est(-0.08, 0.09)), "indistinguishable from the teacher by the adversaries tried"),
        # the same tight intervals on 60 prompts: not enough prompts, and the headline says how many are needed
        (indist(n=60, style=est(-0.05, 0.05, 60), embed=est(-0.08, 0.09, 60)), "undecided: n = 60 test prompts; ≥ 200 needed"),
        # a wide interval around 0 is not "indistinguishable"
        (indist(n=50, embed=est(-0.3, 0.5, 50)), "undecided: n = 50 test prompts; ≥ 200 needed; class ε = 0.50; ≤ 0.10 needed"),
        # ε is a bound on |Adv|: a low end of -0.15 is as far from 0 as a high end of 0.15
        (indist(style=est(-0.15, 0.05)), "undecided: class ε = 0.15; ≤ 0.10 needed"),
        # an adversary without an interval leaves the class bound incomplete
        (
            indist(style=est(-0.05, 0.05), embed={"mean": 0.0, "low": None, "high": None, "n": 400, "status": "degenerate"}),
            "undecided: no interval from embed",
        ),
        (indist(embed={"mean": None, "low": None, "high": None, "n": 0}), "undecided: no adversary gave an advantage interval"),
    ],
)
def test_verdict_applies_the_written_rules(section, headline):
    from distillscope.audit.verdict import verdict_for

    verdict = verdict_for(student(**section))
    assert verdict.headline.startswith(headline), verdict.headline


def test_verdict_with_a_judge_that_gave_no_usable_verdicts_is_undecided_not_zero():
    from distillscope.audit.verdict import class_epsilon, verdict_for

    section = {
        "indist": {"n_test": 400, "learned": {}, "judge": {"advantage_all_pairs": {"mean": None, "low": None, "high": None, "n": 0}}}
    }
    assert class_epsilon(student(**section).indist) is None
    assert verdict_for(student(**section)).headline.startswith("undecided: no adversary gave an advantage interval")


def test_verdict_says_how_many_prompts_would_decide_it():
    from distillscope.audit.verdict import verdict_for

    points = verdict_for(student(**indist(n=100, embed=est(-0.1, 0.2, 100)))).points
    assert any(p.startswith("about ") and "test prompts would bring ε under 0.10" in p for p in points), points


def test_distinguishable_rests_on_the_train_selected_adversary_or_a_simultaneous_bound():
    from distillscope.audit.verdict import verdict_for

    def section(selected):
        return {
            "indist": {
                "n_test": 400,
                "selected": selected,
                "epsilon_class": {"epsilon": 0.23, "adversary": "embed", "missing": [], "k": 2},
                "learned": {
                    "style": {"advantage": est(-0.05, 0.05)},
                    "embed": {"advantage": est(0.01, 0.2), "q_curve_simultaneous": {"1": [-0.02, 0.23]}},
                },
            }
        }

    # embed's 95% interval clears 0 only because it is the best of two on the test data: not a finding
    assert verdict_for(student(**section("style"))).headline.startswith("undecided: class ε = 0.23; ≤ 0.10 needed")
    chosen = verdict_for(student(**section("embed")))  # chosen on the train split, its own 95% interval counts
    assert chosen.headline.startswith("partly distinguishable") and any("decided by embed" in p for p in chosen.points)


def ice(hard_successes, hard_low, strict_successes=10, queries=100):
    return {
        "ice": {
            "queries": queries,
            "overall": {
                "strict": est(0.05, 0.2, queries, strict_successes / queries),
                "hard": est(hard_low, 0.1, queries, hard_successes / queries),
                "successes": {"strict": strict_successes, "hard": hard_successes},
            },
        }
    }


def test_identity_accusation_needs_three_hard_successes_with_a_lower_bound_above_zero():
    from distillscope.audit.verdict import verdict_for

    assert "claims another family" in verdict_for(student(**ice(5, 0.01))).headline
    assert "claims another family" not in verdict_for(student(**ice(3, 0.0))).headline  # lower bound not above 0
    assert "claims another family" not in verdict_for(student(**ice(2, 0.01))).headline  # fewer than 3 successes
    one_echo = verdict_for(student(**ice(0, 0.0, strict_successes=1)))  # strict fired once (say on a misleading template): no accusation
    assert "claims another family" not in one_echo.headline
    assert any("needs ≥ 3 hard successes" in p and "larger ICE budget" in p for p in one_echo.points)


def test_verdict_never_asks_for_a_control_that_did_not_run():
    from distillscope.audit.verdict import verdict_for

    rse = {
        "rse": est(2.9, 3.3, 18, 3.1),
        "n_scored": 18,
        "n_pairs": 20,
        "parse_failures": 2,
        "sensitivity": {"unscored": 2, "if_all_1": est(2.7, 3.1, 20, 2.89), "if_all_5": est(3.1, 3.5, 20, 3.29)},
        "swap_control": {"n": 0, "mean_difference": None},
    }
    points = " | ".join(verdict_for(student(rse=rse)).points)
    assert "control" not in points and "2 unscored: 2.89 if all were 1, 3.29 if all were 5" in points
    rse["swap_control"] = {"n": 3, "n_scored": 3, "mean_difference": est(-0.2, 0.4, 3, 0.1)}
    assert "order-swap control" in " | ".join(verdict_for(student(rse=rse)).points)


def test_audit_numbers_its_stages_and_ends_at_the_last(tmp_path, hashing_embedder):
    from distillscope import Workspace, run_audit
    from distillscope.audit.config import load_audit_config

    config = load_audit_config(write_config(tmp_path, metrics=["similarity", "indist"], adversaries=["style", "mmd"]), {})
    messages = []
    with Workspace(tmp_path / "store.sqlite", progress=False) as ws:
        run_audit(config, ws, log=messages.append)
    # the teacher, the control ladder, then per student: its answers, similarity and indistinguishability
    assert [m.split(",")[0] for m in messages] == [f"[{k}/8" for k in range(1, 9)]
    assert messages[-1].startswith("[8/8, ") and "indistinguishability of mock/alpha?variant=1" in messages[-1]


def test_a_pairwise_judge_that_clearly_tells_them_apart_decides_at_the_simultaneous_level():
    from distillscope.audit.verdict import verdict_for

    scores = [1.0] * 180 + [0.0] * 20  # the judge names the teacher on 180 of 200 pairs
    section = {
        "indist": {
            "n_test": 200,
            "selected": "style",
            "epsilon_class": {"epsilon": 0.95, "adversary": "judge", "missing": [], "k": 2},
            "epsilon_table": [{"adversary": "judge", "q": 1, "simultaneous_confidence": 0.975}],
            "learned": {"style": {"advantage": est(-0.05, 0.05, 200)}},
            "judge": {"advantage_all_pairs": est(0.86, 0.94, 200, 0.9), "scores": scores},
        }
    }
    verdict = verdict_for(student(**section))
    assert verdict.headline.startswith("clearly distinguishable") and "judge" in verdict.headline
