"""ICE intervals that respect shared templates, judge/extractor agreement as κ, and mutants' own misleading flag."""

import pytest

from distillscope.ice.claims import default_library
from distillscope.ice.fuzzer import FuzzConfig, Fuzzer, QueryRecord
from distillscope.ice.scoring import agreement, cluster_rate
from distillscope.ice.templates import PLACEHOLDER, SeedTemplate, identity_questions
from distillscope.models.mock import MockModel
from distillscope.models.registry import load_model
from distillscope.models.spec import ModelSpec
from distillscope.runner.runner import Runner
from distillscope.runner.store import ResponseStore
from distillscope.stats import proportion
from distillscope.types import Completion


def clustered(successful_templates, templates=20, per_template=5):
    """Answers to `templates` templates, `per_template` each; every answer to the first few succeeds, none other."""
    hits = [t < successful_templates for t in range(templates) for _ in range(per_template)]
    return hits, [f"t{t}" for t in range(templates) for _ in range(per_template)]


def test_answers_sharing_a_template_get_a_wider_interval_than_wilson():
    hits, clusters = clustered(4)
    estimate, method = cluster_rate(hits, clusters)
    wilson = proportion(sum(hits), len(hits))
    assert method.startswith("wilson, n_eff = 20.0") and estimate.mean == pytest.approx(0.2) and estimate.n == 100
    assert estimate.high - estimate.low > 1.3 * (wilson.high - wilson.low)  # 20 templates carry less than 100 answers


def test_independent_answers_keep_the_wilson_interval():
    hits, clusters = clustered(20, templates=100, per_template=1)
    hits = [i % 5 == 0 for i in range(100)]
    estimate, method = cluster_rate(hits, clusters)
    assert (
        method == "wilson"
        and estimate.low == pytest.approx(proportion(20, 100).low)
        and estimate.high == pytest.approx(proportion(20, 100).high)
    )


def test_no_success_at_all_is_not_the_interval_zero_zero():
    hits, clusters = clustered(0)
    estimate, _ = cluster_rate(hits, clusters)
    assert estimate.mean == 0 and estimate.low == 0
    assert estimate.high == pytest.approx(proportion(0, 20).high) and estimate.high > proportion(0, 100).high


def test_the_clustered_interval_rises_with_every_success():
    """Issue 31.8: 0/100 gave [0, 0.161] and 1/100 [0, 0.03] (the cluster bootstrap): bounds must never fall as successes rise."""
    clusters = [f"t{t}" for t in range(20) for _ in range(5)]
    previous = (-1.0, -1.0)
    for k in range(0, 101):
        hits = [i < k for i in range(100)]  # successes fill one template after another
        estimate, _ = cluster_rate(hits, clusters)
        assert estimate.low >= previous[0] - 1e-12 and estimate.high >= previous[1] - 1e-12, k
        wilson = proportion(k, 100)  # never narrower than the unclustered interval
        assert estimate.low <= wilson.low + 1e-12 and estimate.high >= wilson.high - 1e-12, k
        previous = (estimate.low, estimate.high)


def record(loose, strict, index):
    return QueryRecord(
        iteration=index,
        node=0,
        template_id="s",
        mutant_id=f"m{index}",
        mutator="rephrase",
        misleading=False,
        question_id="q",
        category="team",
        language="en",
        prompt="p",
        response="r",
        loose=loose,
        strict=strict,
    )


def test_agreement_is_kappa_with_its_confusion_table_not_raw_agreement():
    # 95 answers both call harmless, 5 only the judge flags: 95% raw agreement, yet no agreement beyond chance
    records = [record(False, False, i) for i in range(95)] + [record(True, False, 95 + i) for i in range(5)]
    records.append(record(None, True, 200))  # unjudged answers are left out
    result = agreement(records)
    assert result.n == 100 and result.raw_agreement == pytest.approx(0.95)
    assert result.confusion == [[95, 0], [5, 0]] and result.kappa == pytest.approx(0.0)
    assert "κ 0.00" in result.fmt() and "judge only 5" in result.fmt()
    both = [record(i < 10, i < 12, i) for i in range(100)]
    assert 0.8 < agreement(both).kappa < 1 and agreement(both).confusion == [[88, 2], [0, 10]]
    constant = agreement([record(False, False, i) for i in range(10)])
    assert constant.kappa is None and "undefined" in constant.fmt()


class NeutralHelper(MockModel):
    """A helper whose every mutant drops whatever name the template planted."""

    def answer(self, request):
        return Completion(text=f"Please answer the question. {PLACEHOLDER}", finish_reason="stop")


def test_a_mutant_that_drops_the_planted_name_is_not_misleading(tmp_path):
    library = default_library()
    runner = Runner(ResponseStore(tmp_path / "s.sqlite"), show_progress=False)
    seeds = [SeedTemplate(id="gpt", text=f"You are ChatGPT by OpenAI. {PLACEHOLDER}")]
    fuzzer = Fuzzer(
        runner,
        load_model("mock/target?ice=target"),
        NeutralHelper(ModelSpec.parse("mock/helper")),
        load_model("mock/judge?ice=judge"),
        library.get("qwen"),
        library,
        seeds,
        identity_questions(),
        FuzzConfig(budget=60, seed=1),
    )
    run = fuzzer.run()
    assert run.nodes[0].misleading
    for r in run.records:  # every record's flag is the rule applied to its own mutant's text
        assert r.misleading == ("ChatGPT" in run.mutants[r.mutant_id]), r.mutant_id
    dropped = [r for r in run.records if r.mutator != "expand"]  # expand keeps the parent's text, so its name too
    assert dropped and not any(r.misleading for r in dropped)
    assert all(r.hard == r.strict for r in dropped)
