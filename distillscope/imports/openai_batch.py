"""OpenAI Batch API files: the output JSONL, and optionally the input JSONL it answered.

An output line has `custom_id` and `response.body` (a chat completion, a
completion or a Responses API reply) or an `error`; a line with an error or a
non-200 status is an errored sample, counted and never used. The output does
not repeat the prompts, so they come from the batch's input file (`input=` in
the spec, `--input` to `store import`), matched by `custom_id`; without it
the answers pair by `custom_id` alone. Choice i of a request with `n` > 1 is
sample index i.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from distillscope.errors import InputFileError
from distillscope.imports.normalise import split_messages, split_prompt
from distillscope.imports.records import ImportedAnswer
from distillscope.records import read_records


def is_batch_output(record: dict) -> bool:
    return "custom_id" in record and ("response" in record or "error" in record) and "body" not in record


def is_batch_input(record: dict) -> bool:
    return "custom_id" in record and isinstance(record.get("body"), dict) and "url" in record


def _content_text(content: object) -> str:
    """A message's text: its content as a string, or its text parts joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def _prompt_of(body: dict) -> tuple[str | None, str]:
    if isinstance(body.get("messages"), list):
        return split_messages((m.get("role", "user"), _content_text(m.get("content"))) for m in body["messages"] if isinstance(m, dict))
    if isinstance(body.get("input"), list):  # Responses API
        system, text = split_messages(
            (m.get("role", "user"), _content_text(m.get("content"))) for m in body["input"] if isinstance(m, dict)
        )
        return body.get("instructions") or system, text
    for field in ("prompt", "input"):
        if isinstance(body.get(field), str):
            system, text = split_prompt(body[field])
            return body.get("instructions") or system, text
    return None, ""


def _choices(body: dict) -> list[tuple[int, str | None]]:
    if isinstance(body.get("choices"), list):
        out = []
        for position, choice in enumerate(body["choices"]):
            message = choice.get("message") or {}
            text = _content_text(message.get("content")) if message else choice.get("text")
            out.append((int(choice.get("index", position)), text))
        return out
    if isinstance(body.get("output"), list):  # Responses API: the message items' text
        texts = [_content_text(item.get("content")) for item in body["output"] if isinstance(item, dict) and item.get("type") == "message"]
        return [(0, "".join(texts))]
    return []


def read_batch_input(path: Path) -> dict[str, tuple[str | None, str]]:
    """custom_id -> (system prompt, text) from a batch input file."""
    prompts = {}
    for number, record in read_records(path, "batch input"):
        if not is_batch_input(record):
            raise InputFileError(
                f"{path} line {number}: not a batch input request (custom_id, url, body)", "give the .jsonl the batch was created from"
            )
        prompts[str(record["custom_id"])] = _prompt_of(record["body"])
    return prompts


def read_batch_output(path: Path, input_path: Path | None, skipped: Counter) -> tuple[list[ImportedAnswer], int]:
    """(answers, errored requests)."""
    prompts = read_batch_input(input_path) if input_path is not None else {}
    answers, errored = [], 0
    for number, record in read_records(path, "batch output"):
        if not is_batch_output(record):
            raise InputFileError(
                f"{path} line {number}: not a batch output line (custom_id with response or error)", "give the batch's output file"
            )
        custom_id = str(record["custom_id"])
        response = record.get("response") or {}
        body = response.get("body") if isinstance(response, dict) else None
        if record.get("error") or not isinstance(body, dict) or response.get("status_code", 200) != 200 or body.get("error"):
            errored += 1
            continue
        if input_path is not None and custom_id not in prompts:
            skipped["answers whose custom_id is not in the input file"] += 1
            continue
        system, text = prompts.get(custom_id, (None, ""))
        for index, answer in _choices(body):
            if not answer or not answer.strip():
                skipped["empty answers"] += 1
                continue
            answers.append(
                ImportedAnswer(
                    text=text, system=system, sample_id=custom_id, doc=custom_id, sample_index=index, answer=answer, model=body.get("model")
                )
            )
    return answers, errored
