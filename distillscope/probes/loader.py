"""Reading prompt and response files (JSONL or CSV) with line-numbered errors.

A malformed line stops the run before anything is sent, naming the file, the
line and what to change, because a silently skipped prompt shifts the prompt
distribution every metric is stated over.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from distillscope.errors import InputFileError
from distillscope.types import Prompt

TEXT_COLUMNS = ("text", "prompt", "question", "instruction")


def read_records(path: str | Path, what: str = "prompts") -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, record) from a .jsonl/.json-lines or .csv file."""
    path = Path(path).expanduser()
    if not path.exists():
        raise InputFileError(f"{what} file {path} does not exist", "check the path")
    if path.is_dir():
        raise InputFileError(f"{what} file {path} is a directory", "give a .jsonl or .csv file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            yield from _read_csv(path, what)
        elif suffix in (".jsonl", ".ndjson", ".json"):
            yield from _read_jsonl(path, what)
        else:
            raise InputFileError(f"{what} file {path} has an unknown extension '{suffix}'", "use .jsonl or .csv")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{what} file {path} is not UTF-8 text ({exc.reason})", "save it as UTF-8") from exc


def _read_jsonl(path: Path, what: str) -> Iterator[tuple[int, dict[str, Any]]]:
    # utf-8-sig: Windows editors and Excel start files with a byte-order mark, which is not part of the data
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputFileError(
                    f"{path} line {number}: invalid JSON ({exc.msg} at column {exc.colno})",
                    f"make each line of the {what} file one JSON object",
                ) from None
            if not isinstance(record, dict):
                raise InputFileError(
                    f"{path} line {number}: expected a JSON object, got {type(record).__name__}",
                    'write objects like {"text": "..."}',
                )
            yield number, record


def _read_csv(path: Path, what: str) -> Iterator[tuple[int, dict[str, Any]]]:
    # utf-8-sig: a byte-order mark would otherwise become part of the first column's name ("\ufefftext")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            raise InputFileError(f"{what} file {path} has no header row", "add a header row naming the columns")
        for record in reader:
            if None in record:
                raise InputFileError(
                    f"{path} line {reader.line_num}: more fields than the header has columns",
                    "quote fields that contain commas",
                )
            yield reader.line_num, {k: v for k, v in record.items() if v not in (None, "")}


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
                "remove the repeated prompt or give each prompt its own \"id\"",
            )
        first_line[prompt.id] = number

