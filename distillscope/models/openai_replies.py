"""Reading what an OpenAI-compatible server sends back: answers, log-probabilities, errors, Retry-After.

The backend (openai_api.py) sends requests and classifies failures; this
module turns a response body into a `Completion` (or says in one line why it
holds no answer) and an error into text that never repeats the key.
"""

from __future__ import annotations

from typing import Any

from distillscope.errors import GenerationError, TransientError
from distillscope.secrets import redact
from distillscope.types import Completion


def parse_retry_after(headers: Any) -> float | None:
    """Seconds to wait from a Retry-After (or retry-after-ms) header, if any."""
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return float(millis) / 1000.0
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from datetime import datetime, timezone
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, (parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds())
        except (TypeError, ValueError):
            return None


def completion_from(out: Any, mode: str) -> Completion:
    """The answer in a response body (`mode`: chat or completion); a body without one is transient, a null answer a failure."""
    choices = getattr(out, "choices", None)
    if not choices:
        raise TransientError(f"malformed response: no choices in {str(out)[:200]!r}")
    choice = choices[0]
    finish = getattr(choice, "finish_reason", None)
    if mode == "completion":
        text = getattr(choice, "text", None)
    else:
        message = getattr(choice, "message", None)
        if message is None:
            raise TransientError("malformed response: a choice without a message")
        text = message.content
        if text is None:
            raise GenerationError(why_no_content(message, finish))
    if text is None:
        raise GenerationError(f"the server returned no text (finish_reason={finish})")
    usage = getattr(out, "usage", None)
    return Completion(
        text=text,
        finish_reason=finish,
        prompt_tokens=getattr(usage, "prompt_tokens", None),
        completion_tokens=getattr(usage, "completion_tokens", None),
        **token_logprobs(getattr(choice, "logprobs", None)),
    )


def token_logprobs(logprobs: Any) -> dict[str, Any]:
    """`tokens` and `top_logprobs` from a choice's `logprobs` (chat or completion shape); {} when absent or unreadable."""
    if logprobs is None:
        return {}
    from distillscope.models.logprobs import LogprobParseError, from_llamacpp, from_openai

    payload = logprobs.model_dump() if hasattr(logprobs, "model_dump") else logprobs
    try:
        positions = from_openai(payload) if payload.get("content") is not None else from_llamacpp(payload)
    except (LogprobParseError, AttributeError, KeyError, TypeError, ValueError):
        return {}  # a server's odd payload: the answer stands on its text
    return {"tokens": positions.tokens, "top_logprobs": positions.top}


def why_no_content(message: Any, finish: str | None) -> str:
    """A `content: null` message explained: a refusal, tool calls, or reasoning that used every token."""
    refusal = getattr(message, "refusal", None)
    if refusal:
        return f"the model refused (content null, refusal: {str(refusal)[:300]!r})"
    if getattr(message, "tool_calls", None) or getattr(message, "function_call", None):
        return f"the model called a tool instead of answering (content null, finish_reason={finish})"
    extra = getattr(message, "model_extra", None) or {}
    if extra.get("reasoning_content") or extra.get("reasoning"):
        return f"the answer was all reasoning, with no final text (content null, finish_reason={finish}); raise max_tokens"
    return f"the server returned no content (content null, finish_reason={finish})"


def describe_error(exc: Any) -> str:
    """An HTTP error in one line, with any key the server quoted back masked."""
    return f"HTTP {getattr(exc, 'status_code', '?')}: {redact(str(exc))[:300]}"
