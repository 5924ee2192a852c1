"""The OpenAI-shaped bodies the stub server answers a generation request with.

Split from `stub_server.py`, which decides what happens to a request (faults,
latency, the log); this module only writes the answer it then sends: a chat
or text completion, with usage, the `content: null` shapes (plain, refusal,
tool call) and, where asked, log-probabilities in the OpenAI shape. Fake
log-probabilities are the mock model's soft ones (`models.mock`), cut to
`max_tokens` tokens.
"""

from __future__ import annotations

from typing import Any

#: faults answered with `content: null` on chat (a plain null, a refusal, a tool call)
NO_TEXT_FAULTS = ("null", "refusal", "tool_call")


def logprob_payload(text: str, top_k: int, max_tokens: int | None, chat: bool) -> tuple[str, Any]:
    """(text cut to max_tokens tokens, its logprobs object in the OpenAI chat or completion shape)."""
    from distillscope.models.mock import _alternatives, mock_tokens

    tokens = mock_tokens(text)[: max_tokens or None]
    tops = [dict(sorted(_alternatives(t, soft=True).items(), key=lambda kv: -kv[1])[:top_k]) for t in tokens]
    if chat:
        content = [
            {
                "token": t,
                "logprob": top[t],
                "bytes": list(t.encode()),
                "top_logprobs": [{"token": a, "logprob": lp, "bytes": list(a.encode())} for a, lp in top.items()],
            }
            for t, top in zip(tokens, tops)
        ]
        return "".join(tokens), {"content": content, "refusal": None}
    offsets = [sum(len(t) for t in tokens[:i]) for i in range(len(tokens))]
    return "".join(tokens), {
        "tokens": tokens,
        "token_logprobs": [top[t] for t, top in zip(tokens, tops)],
        "top_logprobs": tops,
        "text_offset": offsets,
    }


def completion_answer(
    payload: dict[str, Any], prompt: str, text: str, chat: bool, fault: str | None, honour_logprobs: bool
) -> dict[str, Any]:
    """The answer to `payload` (a chat or text completion request) whose text is `text`.

    `honour_logprobs=False` plays a server that ignores the `logprobs` field;
    on chat, a fault in `NO_TEXT_FAULTS` gives the matching `content: null` answer.
    """
    logprobs = None
    wanted = payload.get("top_logprobs") if chat and payload.get("logprobs") else payload.get("logprobs")
    if wanted and honour_logprobs:
        text, logprobs = logprob_payload(text, int(wanted), payload.get("max_tokens"), chat)
    usage = {"prompt_tokens": len(prompt.split()), "completion_tokens": len(text.split())}
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    choice: dict[str, Any]
    if chat:
        said: dict[str, Any] = {"role": "assistant", "content": text}
        choice = {"index": 0, "message": said, "finish_reason": "stop", "logprobs": logprobs}
        if fault in NO_TEXT_FAULTS:  # what OpenAI sends when there is no text answer
            said["content"] = None
        if fault == "refusal":
            said["refusal"] = "I'm sorry, I can't help with that."
        if fault == "tool_call":
            choice["finish_reason"] = "tool_calls"
            said["tool_calls"] = [{"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}]
        kind = "chat.completion"
    else:
        choice = {"index": 0, "text": text, "finish_reason": "stop", "logprobs": logprobs}
        kind = "text_completion"
    return {
        "id": "cmpl-stub",
        "object": kind,
        "created": 0,
        "model": payload.get("model"),
        "choices": [choice],
        "usage": usage,
    }
