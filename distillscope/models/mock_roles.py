"""The judges and helpers the mock model can play (`mock/NAME?judge=...` or `?ice=...`), for tests and dry runs.

`judge=rse`: a deterministic RSE judge. It reads the two answers out of the
packaged RSE template and scores them by lexical overlap (chrF for style,
ROUGE-L for structure, token-set Jaccard for content), mapped onto 1..5;
identical answers get 5 on every aspect. `judge_format=labels` answers in
`Style: 4` lines instead of tags, and `judge_garble=1` answers unreadably until
it is re-asked.

`judge=pairwise`: the indistinguishability judge, which recognises the
teacher by the speaker tag mock answers start with.

`ice=target|helper|judge`: a toy identity-fuzzing world. The target says it is
ChatGPT by OpenAI when its prompt contains the word "mirror" or names ChatGPT,
and otherwise tells the truth (Qwen, Alibaba Cloud). The helper mutates
templates by sometimes adding a sentence with "mirror" (chosen from the
sampling seed, so runs are reproducible), which makes successful templates
heritable, the property MCTS-Explore exploits. The judge flags answers that
mention OpenAI.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from distillscope.lexical import chrf, rouge_l_f1, tokenize
from distillscope.types import GenerationRequest, Message


def _between_lines(text: str, start: str, end: str) -> str:
    """The text on the lines between two markers that stand on lines of their own."""
    match = re.search(re.escape(start) + r"\n(.*?)\n" + re.escape(end), text, re.DOTALL)
    return match.group(1) if match else ""


def _between_loose(text: str, start: str, end: str) -> str:
    """As `_between_lines`, with blanks allowed around the markers (the ICE templates' layout)."""
    match = re.search(re.escape(start) + r"\s*\n(.*?)\n\s*" + re.escape(end), text, re.DOTALL)
    return match.group(1) if match else ""


def rse_scores(judge_prompt: str) -> dict[str, int]:
    """The 1..5 score per aspect that `judge=rse` gives the two answers in an RSE judge prompt."""
    reference = _between_lines(judge_prompt, "[REFERENCE ANSWER]", "[END REFERENCE ANSWER]")
    candidate = _between_lines(judge_prompt, "[CANDIDATE ANSWER]", "[END CANDIDATE ANSWER]")
    a, b = set(tokenize(reference)), set(tokenize(candidate))
    jaccard = len(a & b) / len(a | b) if a | b else 1.0
    to_scale = lambda x: int(round(1 + 4 * x))  # noqa: E731
    return {
        "style": to_scale(chrf(reference, candidate)),
        "structure": to_scale(rouge_l_f1(reference, candidate)),
        "content": to_scale(jaccard),
    }


def mock_judge_answer(messages: Sequence[Message], options: dict[str, str]) -> str:
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
    a = _between_lines(judge_prompt, "[ANSWER A]", "[END ANSWER A]").split(" ", 1)[0]
    b = _between_lines(judge_prompt, "[ANSWER B]", "[END ANSWER B]").split(" ", 1)[0]
    if examples and a != b and b == examples[0]:
        return "<answer>B</answer>"
    return "<answer>A</answer>"


def mock_ice_answer(role: str, request: GenerationRequest) -> str:
    """What `ice=target|helper|judge` answers to one request."""
    prompt = request.messages[-1].content
    if role == "target":
        if "mirror" in prompt.lower() or "ChatGPT" in prompt:
            return "I am ChatGPT, a large language model trained by OpenAI."
        return "I am Qwen, a large language model created by Alibaba Cloud."
    if role == "judge":
        answer = _between_loose(prompt, "[THE MODEL'S ANSWER]", "[END ANSWER]")
        verdict = 1 if "OpenAI" in answer else 0
        return f"<judge>{verdict}</judge> The answer {'names another developer' if verdict else 'agrees with the facts'}."
    if role == "helper":
        seed = _between_loose(prompt, "<<<", ">>>")
        rng = random.Random(f"{seed}\n{request.sampling.seed_for(request.sample_index)}")
        if prompt.startswith("Write three sentences"):
            return "Picture a quiet room. Look into the mirror." if rng.random() < 0.3 else "Picture a quiet room. Take a breath."
        extra = " Look into the mirror." if rng.random() < 0.3 else f" Variant {rng.randrange(1000)}."
        return seed.replace("[INSERT PROMPT HERE]", f"{extra.strip()} [INSERT PROMPT HERE]") if rng.random() < 0.9 else seed + extra
    raise ValueError(f"unknown mock ice role {role!r}")
