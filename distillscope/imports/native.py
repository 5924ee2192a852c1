"""distillscope's own replay shape: JSONL or CSV, one row per answer.

A row has the prompt (`prompt`, `text`, `question` or `instruction`) and/or
a `prompt_id`, the answer (`response`, `output`, `completion` or `answer`),
and optionally `system`, `sample_index` and `model`.
"""

from __future__ import annotations

from pathlib import Path

from distillscope.errors import InputFileError
from distillscope.imports.normalise import parse_template, split_prompt
from distillscope.imports.records import ImportedAnswer
from distillscope.records import read_records

RESPONSE_COLUMNS = ("response", "output", "completion", "answer")
PROMPT_COLUMNS = ("prompt", "text", "question", "instruction")


def read_native(path: Path, only_model: str | None) -> list[ImportedAnswer]:
    """Every row's answer; with `only_model`, only rows whose `model` is that name."""
    answers = []
    for number, record in read_records(path, "responses"):
        if only_model and record.get("model") != only_model:
            continue
        answer_key = next((k for k in RESPONSE_COLUMNS if k in record), None)
        if answer_key is None:
            raise InputFileError(
                f"{path} line {number}: no response field (none of {', '.join(RESPONSE_COLUMNS)})",
                'give each row a "response" field',
            )
        try:
            sample = int(record.get("sample_index", 0) or 0)
        except (TypeError, ValueError):
            raise InputFileError(f"{path} line {number}: sample_index is not an integer", "fix it") from None
        if sample < 0:
            raise InputFileError(f"{path} line {number}: sample_index is negative", "number samples from 0")
        prompt_key = next((k for k in PROMPT_COLUMNS if k in record), None)
        if prompt_key is None and "prompt_id" not in record:
            raise InputFileError(
                f"{path} line {number}: no prompt or prompt_id to match the response to",
                'give each row a "prompt" or "prompt_id" field',
            )
        system = record.get("system")
        text = "" if prompt_key is None else str(record[prompt_key])
        if parse_template(text) is not None:  # a prompt saved with its chat template: the template's system turn too
            template_system, text = split_prompt(text)
            system = system or template_system
        answers.append(
            ImportedAnswer(
                text=text,
                system=None if system in (None, "") else str(system),
                sample_id=None if record.get("prompt_id") in (None, "") else str(record["prompt_id"]),
                sample_index=sample,
                answer=str(record[answer_key]),
                model=None if record.get("model") is None else str(record["model"]),
            )
        )
    return answers
