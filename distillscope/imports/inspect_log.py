"""inspect_ai evaluation logs (`.eval` or `.json`), read with inspect_ai's own reader.

Each sample of each epoch is one answer: the last assistant turn after the
last user turn, the conversation before it kept as the prompt, the system
prompt apart, epoch k as sample index k-1. A sample inspect marks as errored
is counted and never used.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from distillscope.errors import InputFileError
from distillscope.imports.normalise import split_messages
from distillscope.imports.records import ImportedAnswer


class _ChatMessage(Protocol):
    """What is read of an inspect_ai ChatMessage (typed here, so that checking types never loads inspect_ai)."""

    @property
    def role(self) -> str: ...

    @property
    def text(self) -> str | None: ...


def _turns(messages: Iterable[_ChatMessage]) -> list[tuple[str, str]]:
    return [(m.role, m.text or "") for m in messages]


def read_inspect(path: Path, skipped: Counter) -> tuple[list[ImportedAnswer], int, str | None]:
    """(answers, errored samples, the model that answered)."""
    from distillscope.extras import require

    log_module = require("inspect_ai.log", purpose="reading inspect_ai logs")
    try:
        log = log_module.read_eval_log(str(path))
    except Exception as exc:  # noqa: BLE001 - inspect raises many kinds for a damaged log
        raise InputFileError(
            f"{path} is not a readable inspect_ai log ({type(exc).__name__}: {str(exc)[:120]})", "check the file"
        ) from None
    model = getattr(log.eval, "model", None)
    answers, errored = [], 0
    for sample in log.samples or []:
        if sample.error is not None:
            errored += 1
            continue
        turns = _turns(sample.messages or [])
        last_user = max((i for i, (role, _) in enumerate(turns) if role == "user"), default=None)
        if last_user is None:  # no messages recorded: the input alone
            raw = sample.input
            turns = [("user", raw)] if isinstance(raw, str) else _turns(raw)
            last_user = len(turns) - 1
        answer = next((content for role, content in turns[last_user + 1 :] if role == "assistant" and content), None)
        if answer is None and sample.output is not None:
            answer = sample.output.completion or None
        if answer is None:
            skipped["samples with no answer"] += 1
            continue
        system, text = split_messages(turns[: last_user + 1])
        if not text.strip():
            skipped["samples with no prompt text"] += 1
            continue
        answers.append(
            ImportedAnswer(
                text=text,
                system=system,
                sample_id=None if sample.id is None else str(sample.id),
                sample_index=max(0, int(sample.epoch or 1) - 1),
                answer=answer,
                model=model,
            )
        )
    return answers, errored, model
