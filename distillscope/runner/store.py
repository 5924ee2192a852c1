"""The response store: every answer ever paid for, in one SQLite file.

One row per store key (see `Model.request_key`). Each answer is committed as
soon as it arrives, in WAL mode, so a run killed with SIGKILL loses only the
requests that were in flight, and the next run sends only what is missing.
Failures live in their own table: they explain what went wrong and are never
served as answers.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel

from distillscope.errors import UserError
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
    created_at TEXT NOT NULL
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
SCHEMA_VERSION = "1"
_RESPONSE_COLUMNS = (
    "key, model, prompt_id, sample_index, text, finish_reason, prompt_tokens, "
    "completion_tokens, latency_s, created_at, sampling_json"
)


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def default_store_path() -> Path:
    """`$DISTILLSCOPE_STORE`, else one store per user so answers are reused across projects."""
    env = os.environ.get("DISTILLSCOPE_STORE")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("distillscope")) / "store.sqlite"


class StoreStats(BaseModel):
    path: str
    responses: int
    failures: int
    failed_keys_without_answer: int
    completion_tokens: int
    size_bytes: int
    per_model: list[dict]


class ResponseStore:
    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else default_store_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
        except sqlite3.DatabaseError as exc:
            raise UserError(
                f"cannot open the response store {self.path}: {exc}",
                "point --store (or $DISTILLSCOPE_STORE) at a writable SQLite file",
            ) from exc

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "ResponseStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -----------------------------------------------------------------
    def get_many(self, keys: Iterable[str]) -> dict[str, Response]:
        keys = list(dict.fromkeys(keys))
        found: dict[str, Response] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(f"SELECT {_RESPONSE_COLUMNS} FROM responses WHERE key IN ({marks})", chunk)
            for row in rows:
                found[row[0]] = _row_to_response(row, cached=True)
        return found

    def get(self, key: str) -> Response | None:
        return self.get_many([key]).get(key)

    def iter_responses(self, model: str | None = None) -> Iterator[dict]:
        """Every stored answer with its input, for export and offline metrics."""
        sql = f"SELECT {_RESPONSE_COLUMNS}, input_json, rendered_input FROM responses"
        args: tuple = ()
        if model:
            sql += " WHERE model = ?"
            args = (model,)
        for row in self._db.execute(sql + " ORDER BY created_at, key", args):
            record = _row_to_response(row[:11], cached=True).model_dump(exclude={"cached"})
            record["messages"] = json.loads(row[11])
            record["rendered_input"] = row[12]
            yield record

    def failures(self, model: str | None = None) -> list[Failure]:
        sql = "SELECT key, model, prompt_id, sample_index, error_type, message, attempts, created_at FROM failures"
        args: tuple = ()
        if model:
            sql += " WHERE model = ?"
            args = (model,)
        cols = ("key", "model", "prompt_id", "sample_index", "error_type", "message", "attempts", "created_at")
        return [Failure(**dict(zip(cols, row))) for row in self._db.execute(sql + " ORDER BY id", args)]

    # -- writing -----------------------------------------------------------------
    def put(self, response: Response, request: GenerationRequest, rendered_input: str) -> bool:
        """Store one answer at once (autocommit). Returns False if the key was already stored."""
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO responses VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                response.key,
                response.model,
                response.prompt_id,
                response.sample_index,
                canonical_json([m.model_dump() for m in request.messages]),
                rendered_input,
                canonical_json(response.sampling),
                response.text,
                response.finish_reason,
                response.prompt_tokens,
                response.completion_tokens,
                response.latency_s,
                response.created_at,
            ),
        )
        return cursor.rowcount == 1

    def record_failure(self, failure: Failure) -> None:
        self._db.execute(
            "INSERT INTO failures (key, model, prompt_id, sample_index, error_type, message, attempts, created_at)"
            " VALUES (?,?,?,?,?,?,?,?)",
            (
                failure.key,
                failure.model,
                failure.prompt_id,
                failure.sample_index,
                failure.error_type,
                failure.message[:2000],
                failure.attempts,
                failure.created_at,
            ),
        )

    # -- summaries ---------------------------------------------------------------
    def stats(self) -> StoreStats:
        db = self._db
        per_model = [
            {"model": m, "responses": n, "completion_tokens": t or 0, "failures": f}
            for m, n, t, f in db.execute(
                "SELECT r.model, COUNT(*), SUM(r.completion_tokens),"
                " (SELECT COUNT(*) FROM failures f WHERE f.model = r.model)"
                " FROM responses r GROUP BY r.model ORDER BY r.model"
            )
        ]
        unanswered = db.execute(
            "SELECT COUNT(DISTINCT key) FROM failures WHERE key NOT IN (SELECT key FROM responses)"
        ).fetchone()[0]
        size = sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*") if p.is_file())
        return StoreStats(
            path=str(self.path),
            responses=db.execute("SELECT COUNT(*) FROM responses").fetchone()[0],
            failures=db.execute("SELECT COUNT(*) FROM failures").fetchone()[0],
            failed_keys_without_answer=unanswered,
            completion_tokens=db.execute("SELECT COALESCE(SUM(completion_tokens), 0) FROM responses").fetchone()[0],
            size_bytes=size,
            per_model=per_model,
        )


def _row_to_response(row: tuple, cached: bool) -> Response:
    (key, model, prompt_id, sample_index, text, finish, p_tok, c_tok, latency, created, sampling) = row
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
        cached=cached,
    )
