"""The response store's tables, and how answers and failures map to their rows.

`ResponseStore` (store.py) opens, reads and writes the SQLite file; this
module says what is in it: the schema (and its version), the columns read
back, and the conversions between `Response` / `Failure` and rows, so the
readers, the writer and `store stats` agree on one layout.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from distillscope.errors import UserError
from distillscope.runner.store.writes import Row
from distillscope.secrets import redact
from distillscope.types import Failure, GenerationRequest, Response, canonical_json

SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    prompt_id TEXT NOT NULL,
    sample_index INTEGER NOT NULL,
    input_json TEXT NOT NULL,
    rendered_input TEXT NOT NULL,
    sampling_json TEXT NOT NULL,
    text TEXT NOT NULL,
    finish_reason TEXT,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    latency_s REAL,
    created_at TEXT NOT NULL,
    logprobs_json TEXT
);
CREATE INDEX IF NOT EXISTS responses_model ON responses(model);
CREATE TABLE IF NOT EXISTS failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    model TEXT NOT NULL,
    prompt_id TEXT NOT NULL,
    sample_index INTEGER NOT NULL,
    error_type TEXT NOT NULL,
    message TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS failures_key ON failures(key);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
SCHEMA_VERSION = "2"  # 2: responses.logprobs_json
RESPONSE_COLUMNS = (
    "key, model, prompt_id, sample_index, text, finish_reason, prompt_tokens, "
    "completion_tokens, latency_s, created_at, sampling_json, logprobs_json"
)
N_RESPONSE_COLUMNS = 12
INSERT_COLUMNS = (
    "key",
    "model",
    "prompt_id",
    "sample_index",
    "input_json",
    "rendered_input",
    "sampling_json",
    "text",
    "finish_reason",
    "prompt_tokens",
    "completion_tokens",
    "latency_s",
    "created_at",
)
FAILURE_COLUMNS = ("key", "model", "prompt_id", "sample_index", "error_type", "message", "attempts", "created_at")
#: bytes of one stored answer, without SQLite's own overhead (indexes, pages)
ROW_BYTES = (
    "LENGTH(CAST(text AS BLOB)) + LENGTH(CAST(input_json AS BLOB)) + LENGTH(CAST(rendered_input AS BLOB))"
    " + LENGTH(sampling_json) + LENGTH(key) + LENGTH(model) + COALESCE(LENGTH(CAST(logprobs_json AS BLOB)), 0)"
)


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def stored_rendered_input(input_json: str, rendered_column: str) -> str:
    """The rendered input of a row: an empty column means "the same as input_json" (see `response_row`)."""
    return rendered_column or input_json


def response_row(response: Response, request: GenerationRequest, rendered_input: str) -> Row:
    input_json = canonical_json([m.model_dump() for m in request.messages])
    values = (
        response.key,
        response.model,
        response.prompt_id,
        response.sample_index,
        input_json,
        # a chat model's rendered input is its messages' JSON: stored once, not twice (a 50 MB prompt was 100 MB a row)
        "" if rendered_input == input_json else rendered_input,
        canonical_json(response.sampling),
        response.text,
        response.finish_reason,
        response.prompt_tokens,
        response.completion_tokens,
        response.latency_s,
        response.created_at,
    )
    if response.top_logprobs is None:  # text-only rows keep the old shape (and still fit a store not yet migrated)
        return ("responses", INSERT_COLUMNS, values)
    logprobs = canonical_json({"tokens": response.tokens, "top_logprobs": response.top_logprobs})
    return ("responses", INSERT_COLUMNS + ("logprobs_json",), values + (logprobs,))


def failure_row(failure: Failure) -> Row:
    values = tuple(getattr(failure, column) for column in FAILURE_COLUMNS)
    # a server's error body may echo the key it was sent: masked before it reaches the file
    return ("failures", FAILURE_COLUMNS, values[:5] + (redact(failure.message)[:2000],) + values[6:])


def utc_iso(moment: datetime | str) -> str:
    """The `created_at` format (UTC ISO, milliseconds), so comparing strings compares times."""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment.strip())
        except ValueError:
            raise UserError(f"'{moment}' is not a date", "write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def row_to_response(row: tuple, cached: bool) -> Response:
    (key, model, prompt_id, sample_index, text, finish, p_tok, c_tok, latency, created, sampling, logprobs) = row
    logprobs = json.loads(logprobs) if logprobs else {}
    return Response(
        key=key,
        model=model,
        prompt_id=prompt_id,
        sample_index=sample_index,
        text=text,
        finish_reason=finish,
        prompt_tokens=p_tok,
        completion_tokens=c_tok,
        latency_s=latency,
        created_at=created,
        sampling=json.loads(sampling),
        tokens=logprobs.get("tokens"),
        top_logprobs=logprobs.get("top_logprobs"),
        cached=cached,
    )
