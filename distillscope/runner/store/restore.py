"""Putting a `store export` back into a store under its own keys (`distillscope store restore`).

Answers carried to another machine, or kept as a backup, are then reused exactly where they were made (the same
model file, input, sampling and sample index), never asked again. A fresh machine that restores a zoo's teacher
answers resumes the zoo's build at its training stage instead of re-asking the teachers for an hour.

The keys are the exporting store's: sha256 of the model's identity, its weights' fingerprint, the rendered input,
the sampling and the sample index. They cannot be recomputed without the model, so they are taken as written:
restore what a store of yours exported. Other tools' logs go through `store import`, which gives them keys of their
own (a replay spec). A key the store already holds keeps its answer; nothing is overwritten.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

from pydantic import BaseModel, ValidationError

from distillscope.errors import InputFileError
from distillscope.runner.store.core import ResponseStore
from distillscope.types import GenerationRequest, Message, Response

_KEY = re.compile(r"[0-9a-f]{64}")
#: a `store export` row's fields besides the answer's own
_INPUT_FIELDS = ("messages", "rendered_input")
_FIX = "give a JSONL file written by `distillscope store export` (plain or .gz)"


class RestoreResult(BaseModel):
    rows: int
    written: int
    already_stored: int
    models: list[str]


def read_export(path: Path) -> list[tuple[Response, GenerationRequest, str]]:
    """Every row of a `store export` file, checked whole before anything is written: one bad row refuses the file."""
    if not path.is_file():
        raise InputFileError(f"no file at {path}", _FIX)
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        lines = raw.decode("utf-8").splitlines()
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise InputFileError(f"cannot read {path} ({exc})", _FIX) from None
    rows = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            rows.append(_row(record))
        except (json.JSONDecodeError, ValidationError, KeyError, TypeError, ValueError) as exc:
            why = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc) or type(exc).__name__
            raise InputFileError(f"line {number} of {path} is not a stored answer ({why})", _FIX) from None
    if not rows:
        raise InputFileError(f"{path} holds no answers", _FIX)
    return rows


def _row(record: dict) -> tuple[Response, GenerationRequest, str]:
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    missing = [f for f in ("key", "model", "prompt_id", "sample_index", "text", "created_at", *_INPUT_FIELDS) if f not in record]
    if missing:
        raise KeyError(f"no {', '.join(missing)}")
    if not isinstance(record["key"], str) or not _KEY.fullmatch(record["key"]):
        raise ValueError("its key is not a store key (64 hex digits)")
    if not isinstance(record["rendered_input"], str):
        raise ValueError("rendered_input is not text")
    fields = {k: v for k, v in record.items() if k in Response.model_fields and k != "cached"}
    response = Response.model_validate(fields)
    messages = tuple(Message.model_validate(m) for m in record["messages"])
    request = GenerationRequest(prompt_id=response.prompt_id, messages=messages, sample_index=response.sample_index)
    return response, request, record["rendered_input"]


def restore_rows(store: ResponseStore, rows: list[tuple[Response, GenerationRequest, str]]) -> RestoreResult:
    """Write `read_export`'s rows into `store` under their keys; keys already there keep their answers."""
    written = store.put_many(rows)
    return RestoreResult(rows=len(rows), written=written, already_stored=len(rows) - written, models=sorted({r[0].model for r in rows}))
