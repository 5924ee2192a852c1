"""Running an LLM judge through the runner, so every verdict is stored and resumable.

Any model spec can judge. Each item is one judge prompt; when the answer
cannot be parsed the judge is asked once more in the same conversation
(`reask.jinja2`), and what still cannot be read is reported as a failure with
the judge's raw words, never dropped or guessed. The parsers (judges/parsing.py)
read only the grammar the templates ask for, so an ambiguous answer is such a
failure too (`unreadable`), counted apart from a judge that gave no answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel

from distillscope.judges.parsing import ScoreParseError
from distillscope.judges.templates import load_template
from distillscope.models.base import Model
from distillscope.runner.runner import Runner
from distillscope.types import GenerationRequest, Message, SamplingParams, sha256_hex

JUDGE_SAMPLING = SamplingParams(temperature=0.0, max_tokens=96)


class JudgeOutcome(BaseModel):
    item_id: str
    raw: str | None = None
    parsed: Any = None
    reasked: bool = False
    error: str | None = None
    unreadable: bool = False  # the judge answered, but not in the grammar asked for (even after the re-ask)
    latency_s: float = 0.0  # generation time of the stored answers (first and re-ask), cached or not

    @property
    def ok(self) -> bool:
        return self.error is None


def _request(item_id: str, messages: Sequence[Message], sampling: SamplingParams) -> GenerationRequest:
    return GenerationRequest(prompt_id=item_id, messages=tuple(messages), sampling=sampling)


def run_judge(
    runner: Runner,
    judge: Model,
    items: Sequence[tuple[str, str]],
    parse: Callable[[str], Any],
    reask_example: str,
    sampling: SamplingParams = JUDGE_SAMPLING,
) -> list[JudgeOutcome]:
    """Judge every (item id, judge prompt); one re-ask for answers that do not parse."""
    first = runner.run(judge, [_request(i, [Message(role="user", content=t)], sampling) for i, t in items])
    outcomes: list[JudgeOutcome] = []
    retry: list[tuple[int, GenerationRequest]] = []
    reask = load_template("reask").render(example=reask_example)
    for position, ((item_id, text), response) in enumerate(zip(items, first.responses)):
        if response is None:
            outcomes.append(JudgeOutcome(item_id=item_id, error="the judge model failed to answer (see store stats)"))
            continue
        latency = response.latency_s or 0.0
        try:
            outcomes.append(JudgeOutcome(item_id=item_id, raw=response.text, parsed=parse(response.text), latency_s=latency))
        except ScoreParseError:
            outcomes.append(JudgeOutcome(item_id=item_id, raw=response.text, latency_s=latency))
            conversation = [Message(role="user", content=text), Message(role="assistant", content=response.text),
                            Message(role="user", content=reask)]
            retry.append((position, _request(f"{item_id}:reask", conversation, sampling)))
    if retry:
        second = runner.run(judge, [request for _, request in retry])
        for (position, _), response in zip(retry, second.responses):
            outcome = outcomes[position]
            outcome.reasked = True
            if response is None:
                outcome.error = "the judge model failed to answer the re-ask"
                outcome.unreadable = True  # its first answer, kept in raw, could not be read
                continue
            outcome.raw = f"{outcome.raw}\n[re-asked]\n{response.text}"
            outcome.latency_s += response.latency_s or 0.0
            try:
                outcome.parsed = parse(response.text)
            except ScoreParseError as exc:
                outcome.error = str(exc)
                outcome.unreadable = True
    return outcomes


def item_id(*parts: str) -> str:
    """A stable id for a judged item, from what the judge sees."""
    return "judge-" + sha256_hex("\x1f".join(parts))[:16]
