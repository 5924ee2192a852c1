"""Maps keyed by a student's spec find their student however its options were ordered."""

import pytest

from distillscope.audit.config import AuditConfig, load_audit_config, validate_config
from distillscope.errors import InputFileError


def test_facts_and_pairwise_judges_are_keyed_like_the_students():
    config = AuditConfig(
        teacher="mock/t",
        students=["mock/a?variant=2&judge=1"],
        facts={"mock/a?variant=2&judge=1": "gemma"},
        pairwise_judges={"mock/a?variant=2&judge=1": "mock/j"},
    )
    (student,) = config.students
    assert config.facts[student] == "gemma"
    assert config.pairwise_judges[student] == "mock/j"


# -- each metric's options in its own section; the flat keys of earlier versions still read ----------------------


def test_flat_keys_land_in_their_metrics_sections_and_nested_keys_read_the_same():
    flat = AuditConfig(ice_budget=7, strict_families="any", n_train=12, adversaries=["style"], rse_template="t", swap_n=3)
    nested = AuditConfig(
        ice={"budget": 7, "strict_families": "any"}, indist={"n_train": 12, "adversaries": ["style"]}, rse={"template": "t", "swap_n": 3}
    )
    for config in (flat, nested):
        assert (config.ice.budget, config.ice.strict_families, config.ice.questions_per_iteration) == (7, None, 5)
        assert (config.indist.n_train, config.indist.adversaries, config.rse.template, config.rse.swap_n) == (12, ["style"], "t", 3)
        assert config.sequential is None and config.degree.calibration is None  # sequential: selected only when given
    assert flat.model_dump(mode="json") == nested.model_dump(mode="json")
    assert AuditConfig(attribution_alpha=0.01, candidates=["mock/a"]).attribution.model_dump(exclude={"calibration"}) == {
        "candidates": ["mock/a"],
        "alpha": 0.01,
    }


@pytest.mark.parametrize(
    ("data", "message", "fix"),
    [
        ({"ice_budget": 3, "ice": {"budget": 4}}, "'ice_budget' (3) and 'ice.budget' (4) disagree", "'ice.budget'"),
        ({"ice": {"budgte": 3}}, "unknown key 'ice.budgte'", "did you mean 'budget'?"),
        ({"indist": {"mmd_permutations": 5}}, "'indist.mmd_permutations': Input should be greater than or equal to 19", "correct"),
        ({"temprature": 0.7}, "unknown key 'temprature'", "did you mean 'temperature'?"),
        ({"ice_budgte": 3}, "unknown key 'ice_budgte'", "did you mean 'ice.budget'?"),
        ({"degree": {"zoo": "d"}}, "unknown key 'degree.zoo'", "calibration"),
    ],
)
def test_section_problems_are_one_line_naming_the_key(data, message, fix):
    with pytest.raises(InputFileError) as raised:
        validate_config(data, "config file c.yaml")
    assert raised.value.cause == f"config file c.yaml: {message}" and fix in raised.value.fix
    assert "\n" not in str(raised.value)


def test_flags_win_over_the_file_inside_a_section(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("teacher: mock/t\nstudents: [mock/s]\nice: {budget: 50, reward: strict}\nindist: {n_train: 40}\n", encoding="utf-8")
    config = load_audit_config(path, {"ice_budget": 9, "n_train": None})
    assert (config.ice.budget, config.ice.reward, config.indist.n_train) == (9, "strict", 40)
    assert load_audit_config(path, {}).ice.budget == 50


def test_a_section_given_selects_an_optional_metric_and_a_plugin_result_lands_in_plugins():
    from distillscope.pipeline.audit import selected_metrics
    from distillscope.results import StudentResults

    names = [m.name for m in selected_metrics(AuditConfig(metrics=["similarity"], sequential={"alpha": 0.1}))]
    assert names == ["similarity", "sequential"]
    section = StudentResults()
    section.set_result("verdict", {"score": 1.0})  # a plugin metric named like a non-metric field
    section.set_result("degree", None)
    assert section.plugins == {"verdict": {"score": 1.0}} and section.verdict is None and section.result("verdict") == {"score": 1.0}
