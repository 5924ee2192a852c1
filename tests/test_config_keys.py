"""Maps keyed by a student's spec find their student however its options were ordered."""

from distillscope.audit.config import AuditConfig


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
