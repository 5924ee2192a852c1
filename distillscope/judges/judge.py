"""Running an LLM judge through the runner, so every verdict is stored and resumable.

Any model spec can judge. Each item is one judge prompt; when the answer
cannot be parsed the judge is asked once more in the same conversation
(`reask.jinja2`), and what still cannot be read is reported as a failure with
the judge's raw words, never dropped or guessed. The parsers (judges/parsing.py)
read only the grammar the templates ask for, so an ambiguous answer is such a
failure too (`unreadable`), counted apart from a judge that gave no answer.

Logprob mode (G-Eval, judges/logprob.py): when the caller can read a verdict
from token probabilities (`read_logprobs`) and the judge's backend can give
them, the judge is first asked for a few tokens only, with
`sampling.top_logprobs`, and the verdict is read from the distribution at the
score position. Where that cannot be done (no probabilities came back, no score
token among the alternatives, the request failed) the short answer's text is
parsed, and if that fails too the item is judged in text mode as before.
Each outcome records which mode produced it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

from pydantic import BaseModel

from distillscope.judges.logprob import conflict_probability
from distillscope.judges.parsing import ScoreParseError
from distillscope.judges.templates import load_template
from distillscope.models.base import Model
from distillscope.models.logprobs import LogprobParseError, TokenPositions, from_top_logprobs
from distillscope.protocols import AnswerRunner
from distillscope.types import GenerationRequest, Message, Response, SamplingParams, sha256_hex

JUDGE_SAMPLING = SamplingParams(temperature=0.0, max_tokens=96)
#: alternatives asked for per generated token in logprob mode (OpenAI allows at most 20)
LOGPROB_TOP_K = 10
JudgeMode = Literal["auto", "text", "logprob"]
JUDGE_MODES = ("auto", "text", "logprob")


class JudgeOutcome(BaseModel):
    item_id: str
    raw: str | None = None
    parsed: Any = None
    reasked: bool = False
    error: str | None = None
    unreadable: bool = False  # the judge answered, but not in the grammar asked for (even after the re-ask)
    latency_s: float = 0.0  # generation time of the stored answers (first and re-ask), cached or not
    mode: Literal["logprob", "text"] | None = None  # how the verdict was read (None: no verdict)
    positions: TokenPositions | None = None  # logprob mode: what the judge generated, with alternatives

    @property
    def ok(self) -> bool:
        return self.error is None


def _request(item_id: str, messages: Sequence[Message], sampling: SamplingParams) -> GenerationRequest:
    return GenerationRequest(prompt_id=item_id, messages=tuple(messages), sampling=sampling)


def uses_logprobs(judge: Model, mode: str) -> bool:
    """Whether a judge call asks for token log-probabilities first: `logprob`, or `auto` on a backend that gives them."""
    if mode not in JUDGE_MODES:
        from distillscope.errors import UserError

        raise UserError(f"judge mode {mode!r} is not one of {', '.join(JUDGE_MODES)}", "use auto, text or logprob")
    return mode == "logprob" or (mode == "auto" and bool(getattr(judge, "supports_logprobs", False)))


def mode_counts(outcomes: Sequence[JudgeOutcome]) -> dict[str, int]:
    """How many verdicts each mode produced (for the result summaries)."""
    return {mode: sum(o.mode == mode for o in outcomes) for mode in ("logprob", "text")}


def run_judge(
    runner: AnswerRunner[Model],
    judge: Model,
    items: Sequence[tuple[str, str]],
    parse: Callable[[str], Any],
    reask_example: str,
    sampling: SamplingParams = JUDGE_SAMPLING,
    *,
    read_logprobs: Callable[[TokenPositions], Any] | None = None,
    logprob_max_tokens: int = 8,
    mode: JudgeMode = "auto",
) -> list[JudgeOutcome]:
    """Judge every (item id, judge prompt); one re-ask for answers that do not parse.

    With `read_logprobs` (a verdict from token probabilities, raising
    `LogprobParseError` when it cannot) and a mode that allows it, each item is
    first asked with `logprob_max_tokens` and `top_logprobs`; see the module doc.
    """
    if read_logprobs is None or not uses_logprobs(judge, mode):
        return _run_text(runner, judge, items, parse, reask_example, sampling)
    short = sampling.model_copy(update={"max_tokens": logprob_max_tokens, "top_logprobs": LOGPROB_TOP_K})
    first = runner.run(judge, [_request(i, [Message(role="user", content=t)], short) for i, t in items])
    outcomes: list[JudgeOutcome | None] = []
    for (item_id, _), response in zip(items, first.responses):
        outcomes.append(_read_short(item_id, response, parse, read_logprobs) if response is not None else None)
    rest = [position for position, outcome in enumerate(outcomes) if outcome is None or not outcome.ok]
    if rest:
        again = _run_text(runner, judge, [items[p] for p in rest], parse, reask_example, sampling)
        for position, outcome in zip(rest, again):
            tried = outcomes[position]
            outcome.latency_s += tried.latency_s if tried is not None else 0.0
            outcomes[position] = outcome
    return [outcome for outcome in outcomes if outcome is not None]  # every None was replaced just above


def _read_short(
    item_id: str, response: Response, parse: Callable[[str], Any], read_logprobs: Callable[[TokenPositions], Any]
) -> JudgeOutcome:
    """A short logprob-mode answer: the verdict from its probabilities, else from its text, else not ok (judged again in text)."""
    outcome = JudgeOutcome(item_id=item_id, raw=response.text, latency_s=response.latency_s or 0.0)
    if response.top_logprobs:
        positions = from_top_logprobs(response.top_logprobs, response.tokens)
        try:
            outcome.parsed, outcome.mode, outcome.positions = read_logprobs(positions), "logprob", positions
            return outcome
        except LogprobParseError:
            pass
    try:
        outcome.parsed, outcome.mode = parse(response.text), "text"
    except ScoreParseError as exc:
        outcome.error = str(exc)
    return outcome


def _run_text(
    runner: AnswerRunner[Model],
    judge: Model,
    items: Sequence[tuple[str, str]],
    parse: Callable[[str], Any],
    reask_example: str,
    sampling: SamplingParams,
) -> list[JudgeOutcome]:
    """Text mode: the judge writes its verdict, which is parsed; one re-ask for answers that do not parse."""
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
            outcomes.append(JudgeOutcome(item_id=item_id, raw=response.text, parsed=parse(response.text), latency_s=latency, mode="text"))
        except ScoreParseError:
            outcomes.append(JudgeOutcome(item_id=item_id, raw=response.text, latency_s=latency))
            conversation = [
                Message(role="user", content=text),
                Message(role="assistant", content=response.text),
                Message(role="user", content=reask),
            ]
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
                outcome.parsed, outcome.mode = parse(response.text), "text"
            except ScoreParseError as exc:
                outcome.error = str(exc)
                outcome.unreadable = True
    return outcomes


#: logprob mode for the 0/1 conflict judges (ICE): "<judge>1" is 4 tokens for Qwen2.5 and the mock, 5 for SmolLM2
CONFLICT_LOGPROB_MAX_TOKENS = 5


def read_conflict(positions: TokenPositions) -> tuple[bool, str]:
    """A conflict verdict from token probabilities, shaped like `parse_conflict`'s (conflict?, reason)."""
    probability = conflict_probability(positions)
    return probability >= 0.5, f"P(conflict) = {probability:.2f} from the judge's token probabilities"


def item_id(*parts: str) -> str:
    """A stable id for a judged item, from what the judge sees."""
    return "judge-" + sha256_hex("\x1f".join(parts))[:16]
