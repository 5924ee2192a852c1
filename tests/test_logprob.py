"""Logprob judging (G-Eval) on recorded top-logprob payloads: expected scores, choices, verdicts, failures."""

import math

import pytest

from distillscope.judges.logprob import (
    choice_probabilities,
    conflict_probability,
    expected_score,
    pairwise_verdict,
    rse_scores,
)
from distillscope.judges.parsing import ScoreParseError
from distillscope.models.logprobs import LogprobParseError, from_llamacpp, from_openai, from_top_logprobs

ln = math.log


def openai_payload(pieces):
    """An OpenAI-compatible `logprobs` object: pieces are (token, {alternative: probability})."""
    content = []
    for token, alternatives in pieces:
        alternatives = alternatives or {token: 1.0}
        content.append(
            {
                "token": token,
                "logprob": ln(alternatives.get(token, 1.0)),
                "bytes": list(token.encode()),
                "top_logprobs": [{"token": t, "logprob": ln(p), "bytes": list(t.encode())} for t, p in alternatives.items()],
            }
        )
    return {"content": content}


def tagged(aspect, distribution, chosen):
    return [("<", None), (aspect, None), (">", None), (chosen, distribution), ("</", None), (aspect, None), (">", None)]


# recorded from an OpenAI-compatible server answering the RSE template (probabilities rounded)
RSE_PAYLOAD = openai_payload(
    tagged("style", {"4": 0.6, "3": 0.3, "5": 0.05, "<": 0.05}, "4")
    + tagged("structure", {"2": 0.5, " 2": 0.2, "3": 0.3}, "2")
    + tagged("content", {"5": 0.9, "4": 0.1}, "5")
)


def test_rse_expected_score_per_aspect_from_the_tag_positions():
    positions = from_openai(RSE_PAYLOAD)
    assert positions.text == "<style>4</style><structure>2</structure><content>5</content>"
    scores = rse_scores(positions, ("style", "structure", "content"))
    # style: non-score token "<" is left out and the rest renormalised over the score tokens present
    assert scores["style"] == pytest.approx((4 * 0.6 + 3 * 0.3 + 5 * 0.05) / 0.95)
    # structure: " 2" (leading space) counts as "2"
    assert scores["structure"] == pytest.approx(2 * 0.7 + 3 * 0.3)
    assert scores["content"] == pytest.approx(4.9)


def test_word_markers_of_byte_level_and_sentencepiece_tokenisers_count():
    assert expected_score({"Ġ5": ln(0.5), "▁1": ln(0.5)}) == pytest.approx(3.0)


def test_missing_score_tokens_are_a_parse_failure_not_a_guess():
    payload = openai_payload(tagged("style", {"four": 0.7, "<": 0.3}, "four"))
    with pytest.raises(LogprobParseError):
        rse_scores(from_openai(payload), ("style",))
    assert issubclass(LogprobParseError, ScoreParseError)  # counted like any unreadable judge answer
    with pytest.raises(LogprobParseError):  # an aspect the judge never tagged
        rse_scores(from_openai(RSE_PAYLOAD), ("style", "tone"))
    with pytest.raises(LogprobParseError):
        from_openai({"content": []})


def test_a_one_digit_answer_is_read_at_its_first_score_position():
    positions = from_top_logprobs([{"Score": ln(0.9), "The": ln(0.1)}, {":": 0.0}, {" 3": ln(0.5), " 4": ln(0.5)}])
    assert positions.tokens == ["Score", ":", " 3"]  # greedy tokens when none are recorded
    assert rse_scores(positions, ("content",)) == {"content": pytest.approx(3.5)}


def test_llamacpp_completion_logprobs_convert_to_the_same_shape():
    payload = {
        "tokens": ["<", "judge", ">", "1", "</", "judge", ">"],
        "token_logprobs": [0.0, 0.0, 0.0, ln(0.7), 0.0, 0.0, 0.0],
        "top_logprobs": [
            {"<": 0.0},
            {"judge": 0.0},
            {">": 0.0},
            {"1": ln(0.7), "0": ln(0.2), " 0": ln(0.1)},
            {"</": 0.0},
            {"judge": 0.0},
            {">": 0.0},
        ],
    }
    assert conflict_probability(from_llamacpp(payload)) == pytest.approx(0.7)


def choice_payload(p_a, p_b):
    return from_openai(
        openai_payload(
            [
                ("<", None),
                ("answer", None),
                (">", None),
                ("A" if p_a >= p_b else "B", {"A": p_a, "B": p_b}),
                ("</", None),
                ("answer", None),
                (">", None),
            ]
        )
    )


def test_pairwise_verdict_averages_both_orders_and_abstains_below_the_margin():
    # first order: A (the first answer) 0.8; swapped order: B (still the first answer) 0.7
    verdict = pairwise_verdict(choice_payload(0.8, 0.2), choice_payload(0.3, 0.7))
    assert verdict.margin == pytest.approx(((0.8 - 0.2) + (0.7 - 0.3)) / 2) and verdict.pick == "first"
    # a position-biased judge (always A, 0.9) cancels out over the two orders
    biased = pairwise_verdict(choice_payload(0.9, 0.1), choice_payload(0.9, 0.1))
    assert biased.margin == pytest.approx(0.0) and biased.pick is None
    assert pairwise_verdict(choice_payload(0.2, 0.8), choice_payload(0.9, 0.1)).pick == "second"
    assert pairwise_verdict(choice_payload(0.55, 0.45), choice_payload(0.5, 0.5), abstain_below=0.1).pick is None


def test_conflict_probability_needs_a_0_or_1_token():
    with pytest.raises(LogprobParseError):
        conflict_probability(from_top_logprobs([{"Maybe": 0.0}]))


def test_a_choice_fused_with_the_tag_end_counts():
    # Qwen2.5's tokenizer writes "<answer>A" as "<", "answer", ">A": the choice shares a token with the ">"
    positions = from_openai(openai_payload([("<", None), ("answer", None), (">A", {">A": 0.7, ">B": 0.2, ">": 0.1})]))
    assert choice_probabilities(positions) == {"A": pytest.approx(0.7 / 0.9), "B": pytest.approx(0.2 / 0.9)}
