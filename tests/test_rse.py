"""RSE with a deterministic judge: the metric has to mean something."""

import pytest
from metric_data import load_pairs, rotated

from distillscope.errors import InputFileError
from distillscope.metrics.rse import evaluate_rse
from distillscope.models.registry import load_model

JUDGE = "mock/judge?judge=rse"


@pytest.fixture(scope="module")
def pairs():
    return load_pairs()


def test_identical_answers_score_5(runner, pairs):
    prompts, texts = pairs
    result = evaluate_rse(runner, load_model(JUDGE), prompts, texts["qwen_greedy"], texts["qwen_greedy"])
    assert result.rse.mean == 5.0 and all(a.mean == 5.0 for a in result.aspects.values())
    assert result.parse_failures == 0 and result.n_scored == len(prompts)


def test_resampled_self_beats_another_family_and_shuffled_pairs_sit_near_the_floor(runner, pairs):
    prompts, texts = pairs
    judge = load_model(JUDGE)
    self_resampled = evaluate_rse(runner, judge, prompts, texts["qwen_greedy"], texts["qwen_t07"])
    other_family = evaluate_rse(runner, judge, prompts, texts["qwen_greedy"], texts["smollm2_greedy"])
    shuffled = evaluate_rse(runner, judge, prompts, texts["qwen_greedy"], rotated(texts["qwen_greedy"]))
    assert self_resampled.rse.mean > other_family.rse.mean
    assert shuffled.rse.mean < 1.8 < other_family.rse.mean
    assert self_resampled.rse.low <= self_resampled.rse.mean <= self_resampled.rse.high
    assert set(self_resampled.by_category) == {p.category for p in prompts}


def test_judge_calls_are_stored_and_reused(runner, pairs):
    prompts, texts = pairs
    evaluate_rse(runner, load_model(JUDGE), prompts, texts["qwen_greedy"], texts["smollm2_greedy"])
    judge = load_model(JUDGE)
    again = evaluate_rse(runner, judge, prompts, texts["qwen_greedy"], texts["smollm2_greedy"])
    assert judge.calls == 0 and again.n_scored == len(prompts)


def test_unreadable_answers_are_reasked_once(runner, pairs):
    prompts, texts = pairs
    result = evaluate_rse(
        runner, load_model(JUDGE + "&judge_garble=1"), prompts[:6], texts["qwen_greedy"][:6], texts["qwen_t07"][:6], swap_n=0
    )
    assert result.reasked == 6 and result.parse_failures == 0
    assert "[re-asked]" in result.pairs[0].raw


def test_failures_that_remain_are_counted_with_the_raw_answer(runner, pairs):
    prompts, texts = pairs
    result = evaluate_rse(runner, load_model("mock/chatty"), prompts[:5], texts["qwen_greedy"][:5], texts["qwen_t07"][:5])
    assert result.parse_failures == 5 and result.n_scored == 0 and result.rse.mean is None
    assert all(p.error and p.raw and p.reasked for p in result.pairs)
    assert result.sensitivity.if_all_1.mean == 1.0 and result.sensitivity.if_all_5.mean == 5.0


def test_labelled_answers_parse(runner, pairs):
    prompts, texts = pairs
    result = evaluate_rse(
        runner, load_model(JUDGE + "&judge_format=labels"), prompts[:4], texts["qwen_greedy"][:4], texts["qwen_greedy"][:4]
    )
    assert result.rse.mean == 5.0


def test_swap_control_reports_position_bias(runner, pairs):
    prompts, texts = pairs
    result = evaluate_rse(runner, load_model(JUDGE), prompts, texts["qwen_greedy"], texts["smollm2_greedy"], swap_n=10)
    assert result.swap_control.n == 10
    assert abs(result.swap_control.mean_difference.mean) < 0.5  # the lexical mock judge is nearly symmetric


def test_user_template_with_a_syntax_error_names_the_line(runner, pairs, tmp_path):
    prompts, texts = pairs
    bad = tmp_path / "mine.jinja2"
    bad.write_text("Compare.\n{{ reference }\n")
    with pytest.raises(InputFileError, match="line 2"):
        evaluate_rse(runner, load_model(JUDGE), prompts[:1], texts["qwen_greedy"][:1], texts["qwen_t07"][:1], template=str(bad))


def test_user_template_is_used(runner, pairs, tmp_path):
    prompts, texts = pairs
    mine = tmp_path / "mine.jinja2"
    mine.write_text(
        "Rate similarity.\n[REFERENCE ANSWER]\n{{ reference }}\n[END REFERENCE ANSWER]\n"
        "[CANDIDATE ANSWER]\n{{ candidate }}\n[END CANDIDATE ANSWER]\nRequest was: {{ prompt }}"
    )
    result = evaluate_rse(runner, load_model(JUDGE), prompts[:3], texts["qwen_greedy"][:3], texts["qwen_greedy"][:3], template=str(mine))
    assert result.rse.mean == 5.0 and result.template == str(mine)


class HalfAmbiguousJudge:
    """Answers in the asked grammar for every other pair, and ambiguously ("4 or 5") for the rest, even when re-asked."""

    @staticmethod
    def make():
        from distillscope.models.mock import MockModel
        from distillscope.models.spec import ModelSpec
        from distillscope.types import Completion

        class Judge(MockModel):
            def answer(self, request):
                readable = "[CANDIDATE ANSWER]\nA" in request.messages[0].content
                text = (
                    "<style>4</style><structure>4</structure><content>4</content>"
                    if readable
                    else "Style: 4 or 5\nStructure: 3\nContent: 5"
                )
                return Completion(text=text, finish_reason="stop")

        return Judge(ModelSpec.parse("mock/half-ambiguous"))


def test_ambiguous_scores_are_failures_and_rse_reports_the_bound_they_leave(runner, pairs):
    prompts, _ = pairs
    candidates = ["A readable pair" if i % 2 == 0 else "B ambiguous pair" for i in range(8)]
    result = evaluate_rse(runner, HalfAmbiguousJudge.make(), prompts[:8], ["reference"] * 8, candidates, swap_n=0)
    assert result.n_scored == 4 and result.parse_failures == 4 and result.judge_failures == 0 and result.reasked == 4
    assert result.rse.mean == 4.0  # over the parsed pairs only; "4 or 5" was never read as 4 or as 5
    bound = result.sensitivity
    assert bound.unscored == 4 and bound.if_all_1.mean == 2.5 and bound.if_all_5.mean == 4.5 and bound.if_all_1.n == 8
    unread = [p for p in result.pairs if p.mean is None]
    assert all("4 or 5" in p.raw and p.error for p in unread)  # kept with the raw text


def test_sensitivity_refills_unscored_pairs_with_1_and_with_5():
    from distillscope.metrics.rse import sensitivity

    bound = sensitivity([3.0, None, 4.0, None])
    assert bound.unscored == 2 and bound.if_all_1.mean == 2.25 and bound.if_all_5.mean == 4.25
    assert sensitivity([3.0, 4.0]).if_all_1.mean == sensitivity([3.0, 4.0]).if_all_5.mean == 3.5
