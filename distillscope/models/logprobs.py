"""A judge's token log-probabilities as a backend returns them, read into one shape (`TokenPositions`).

The backends read the payload while they build a `Completion` (`openai_replies.py`, `llamacpp.py`),
so the readers live beside them; what a judge makes of the positions (G-Eval scores, choice
probabilities) is `judges/logprob.py`'s. Payload shapes:

- OpenAI-compatible servers (vLLM, llama-server, hosted APIs):
  `choices[0].logprobs.content[i] = {token, logprob, top_logprobs: [{token, logprob}]}`;
- llama-cpp-python completions: `{tokens, token_logprobs, top_logprobs: [{token: logprob}]}`;
- transformers: per generated position the top-k of the softmaxed scores, as a `{token: logprob}` dict.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from pydantic import BaseModel

from distillscope.errors import ScoreParseError

LOGPROB_TOLERANCE = 1e-4  # a server's rounding may put log(1) a hair above 0; more than this is not a probability


class LogprobParseError(ScoreParseError):
    """No usable score token where the score should be: a parse failure, counted and shown, never guessed."""


class TokenPositions(BaseModel):
    """What a judge generated, position by position: the chosen token and the top alternatives' log-probabilities."""

    tokens: list[str]
    top: list[dict[str, float]]

    @property
    def text(self) -> str:
        return "".join(self.tokens)


def _logprob(value: float | str) -> float:
    """A log-probability: a number at most 0 (NaN is kept and skipped where probabilities are summed).

    `value` comes from a server's payload as it was parsed: anything else there (None, a list) raises
    TypeError or ValueError here, which the reader reports as a malformed payload.
    """
    number = float(value)
    if number > LOGPROB_TOLERANCE:
        raise ValueError(f"log-probability {number:g} is above 0")
    return number


def _read_payload(read: Callable[[], TokenPositions]) -> TokenPositions:
    """A payload read by `read`, or one LogprobParseError: a server's odd shape is a parse failure, never a crash."""
    try:
        return read()
    except LogprobParseError:
        raise
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:  # pydantic's ValidationError is a ValueError
        raise LogprobParseError(f"the judge's token log-probabilities are malformed ({type(exc).__name__})") from None


def from_openai(payload: Mapping | Sequence) -> TokenPositions:
    """An OpenAI-compatible `logprobs` object (or its `content` list)."""

    def read() -> TokenPositions:
        content = payload.get("content") if isinstance(payload, Mapping) else payload
        if not content:
            raise LogprobParseError("the judge's answer carries no token log-probabilities")
        tokens, top = [], []
        for position in content:
            alternatives = {str(alt["token"]): _logprob(alt["logprob"]) for alt in position.get("top_logprobs") or []}
            alternatives.setdefault(str(position["token"]), _logprob(position["logprob"]))
            tokens.append(position["token"])
            top.append(alternatives)
        return TokenPositions(tokens=tokens, top=top)

    return _read_payload(read)


def from_llamacpp(payload: Mapping) -> TokenPositions:
    """llama-cpp-python's completion `logprobs` (`tokens`, `token_logprobs`, `top_logprobs`)."""

    def read() -> TokenPositions:
        tokens = list(payload.get("tokens") or [])
        if not tokens:
            raise LogprobParseError("the judge's answer carries no token log-probabilities")
        chosen = payload.get("token_logprobs") or [None] * len(tokens)
        top = []
        for token, logprob, alternatives in zip(tokens, chosen, payload.get("top_logprobs") or [{}] * len(tokens)):
            alternatives = {str(k): _logprob(v) for k, v in (alternatives or {}).items()}
            if logprob is not None:
                alternatives.setdefault(str(token), _logprob(logprob))
            top.append(alternatives)
        return TokenPositions(tokens=tokens, top=top)

    return _read_payload(read)


def from_top_logprobs(top: Sequence[Mapping[str, float]], tokens: Sequence[str] | None = None) -> TokenPositions:
    """A bare list of `{token: logprob}` per position (what `Completion.top_logprobs` holds); greedy tokens when not given."""

    def read() -> TokenPositions:
        positions = [{str(k): _logprob(v) for k, v in position.items()} for position in top]
        chosen = list(tokens) if tokens is not None else [max(p, key=lambda token: p[token]) if p else "" for p in positions]
        return TokenPositions(tokens=chosen, top=positions)

    return _read_payload(read)
