"""What `mock/NAME?judge=rse` answers: a deterministic RSE judge for tests.

It reads the two answers out of the packaged RSE template and scores them by
lexical overlap (chrF for style, ROUGE-L for structure, token-set Jaccard for
content), mapped onto 1..5; identical answers get 5 on every aspect.
`judge_format=labels` answers in `Style: 4` lines instead of tags, and
`judge_garble=1` answers unreadably until it is re-asked.
"""

from __future__ import annotations

import re

from distillscope.metrics.lexical import chrf, rouge_l_f1, tokenize


def _between(text: str, start: str, end: str) -> str:
    match = re.search(re.escape(start) + r"\n(.*?)\n" + re.escape(end), text, re.DOTALL)
    return match.group(1) if match else ""


def rse_scores(judge_prompt: str) -> dict[str, int]:
    reference = _between(judge_prompt, "[REFERENCE ANSWER]", "[END REFERENCE ANSWER]")
    candidate = _between(judge_prompt, "[CANDIDATE ANSWER]", "[END CANDIDATE ANSWER]")
    a, b = set(tokenize(reference)), set(tokenize(candidate))
    jaccard = len(a & b) / len(a | b) if a | b else 1.0
    to_scale = lambda x: int(round(1 + 4 * x))  # noqa: E731
    return {"style": to_scale(chrf(reference, candidate)), "structure": to_scale(rouge_l_f1(reference, candidate)),
            "content": to_scale(jaccard)}


def mock_judge_answer(messages, options: dict[str, str]) -> str:  # noqa: ANN001
    reasked = len(messages) > 1
    if options.get("judge_garble") == "1" and not reasked:
        return "Well, both answers have their merits."
    scores = rse_scores(messages[0].content)
    if options.get("judge_format") == "labels":
        return "\n".join(f"{aspect.title()}: {value}" for aspect, value in scores.items())
    return "".join(f"<{aspect}>{value}</{aspect}>" for aspect, value in scores.items())


def pairwise_choice(judge_prompt: str) -> str:
    """`judge=pairwise`: pick the answer whose speaker tag (mock answers start "name:") matches the examples.

    When both answers carry the same tag it always says A, a pure position
    bias that the order-consistency check must throw away.
    """
    examples = re.findall(r"\[EXAMPLE ANSWER BY T\]\n(\S+)", judge_prompt)
    a = _between(judge_prompt, "[ANSWER A]", "[END ANSWER A]").split(" ", 1)[0]
    b = _between(judge_prompt, "[ANSWER B]", "[END ANSWER B]").split(" ", 1)[0]
    if examples and a != b and b == examples[0]:
        return "<answer>B</answer>"
    return "<answer>A</answer>"
