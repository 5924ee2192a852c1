"""Prompt files as prompts: columns, labels, duplicate ids (the line reading itself is in records.py).

A malformed line stops the run before anything is sent, naming the file, the
line and what to change, because a silently skipped prompt shifts the prompt
distribution every metric is stated over.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from distillscope.errors import InputFileError
from distillscope.records import read_records
from distillscope.types import Prompt

TEXT_COLUMNS = ("text", "prompt", "question", "instruction")


def load_prompts(path: str | Path) -> list[Prompt]:
    """Prompts with a `text` column (or prompt/question/instruction) and optional labels."""
    return [prompt for _, prompt in load_numbered_prompts(path)]


def load_numbered_prompts(path: str | Path) -> list[tuple[int, Prompt]]:
    """(line number, prompt) pairs, so later checks (duplicates) can point at lines."""
    prompts: list[tuple[int, Prompt]] = []
    for number, record in read_records(path, "prompts"):
        text_key = next((k for k in TEXT_COLUMNS if k in record), None)
        if text_key is None:
            raise InputFileError(
                f"{path} line {number}: no prompt text (none of the fields {', '.join(TEXT_COLUMNS)})",
                'give each prompt a "text" field',
            )
        fields = dict(record)
        fields["text"] = fields.pop(text_key)
        if not isinstance(fields["text"], str):
            raise InputFileError(f"{path} line {number}: the prompt text is not a string", "quote the text")
        try:
            prompts.append((number, Prompt(**fields)))
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem["loc"])
            raise InputFileError(f"{path} line {number}: field '{where}': {problem['msg']}", "correct that field") from None
    if not prompts:
        raise InputFileError(f"prompts file {path} holds no prompts", "add at least one prompt")
    return prompts


def require_unique_ids(numbered: list[tuple[int, Prompt]], path: str | Path) -> None:
    """Refuse a prompts file in which two prompts share an id.

    Answers, results and every paired metric are keyed by prompt id, so two
    prompts under one id would put one prompt's answer under the other's text.
    A prompt's default id is the hash of its text, so a repeated text is a
    repeated id too. Distinct ids with the same text are fine: each keeps its
    own row (the answer is asked and stored once).
    """
    first_line: dict[str, int] = {}
    for number, prompt in numbered:
        if prompt.id in first_line:
            same_text = next(p.text == prompt.text for n, p in numbered if n == first_line[prompt.id])
            kind = "repeats the prompt of" if same_text else "has the same id as"
            raise InputFileError(
                f"{path} line {number} {kind} line {first_line[prompt.id]} (id '{prompt.id}')",
                'remove the repeated prompt or give each prompt its own "id"',
            )
        first_line[prompt.id] = number
