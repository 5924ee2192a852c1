"""The response store: every answer ever paid for, in one SQLite file.

One row per store key (see `Model.request_key`). Each answer is committed as
soon as it arrives, in WAL mode, so a run killed with SIGKILL loses only the
requests that were in flight, and the next run sends only what is missing.
Failures live in their own table: they explain what went wrong and are never
served as answers. A judge's token log-probabilities (logprob judging) are
kept with its answer in `logprobs_json`, a nullable column added to older
stores when they are opened, so those verdicts are cached like every answer.

Writes go through `StoreWriter` (its own connection, retried while another
process holds the lock, spilled to a JSONL file if it never lets go); the
async runner calls them on the store's writer thread, so a busy database
never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

from pydantic import BaseModel

from distillscope.errors import UserError
from distillscope.runner.store_writes import Row, StoreUnavailableError, StoreWriter, spill_path
from distillscope.secrets import redact
from distillscope.types import Failure, GenerationRequest, Response, canonical_json

__all__ = ["PruneResult", "ResponseStore", "StoreStats", "StoreUnavailableError", "default_store_path", "utc_now"]

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
_RESPONSE_COLUMNS = (
    "key, model, prompt_id, sample_index, text, finish_reason, prompt_tokens, "
    "completion_tokens, latency_s, created_at, sampling_json, logprobs_json"
)
_N_RESPONSE_COLUMNS = 12
_INSERT_COLUMNS = (
    "key", "model", "prompt_id", "sample_index", "input_json", "rendered_input", "sampling_json", "text",
    "finish_reason", "prompt_tokens", "completion_tokens", "latency_s", "created_at",
)
_FAILURE_COLUMNS = ("key", "model", "prompt_id", "sample_index", "error_type", "message", "attempts", "created_at")
#: bytes of one stored answer, without SQLite's own overhead (indexes, pages)
_ROW_BYTES = (
    "LENGTH(CAST(text AS BLOB)) + LENGTH(CAST(input_json AS BLOB)) + LENGTH(CAST(rendered_input AS BLOB))"
    " + LENGTH(sampling_json) + LENGTH(key) + LENGTH(model) + COALESCE(LENGTH(CAST(logprobs_json AS BLOB)), 0)"
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
    #: the store's files on disk (database, WAL, shared memory)
    size_bytes: int
    #: per model: responses, completion_tokens, failures, bytes (its rows' payload), oldest, newest (created_at)
    per_model: list[dict]
    #: answers waiting in the spill file because the store was locked when they arrived
    unsaved_answers: int = 0


class PruneResult(BaseModel):
    responses: int
    failures: int


class ResponseStore:
    """`busy_timeout_s`: how long one write waits for another process's lock;
    `write_deadline_s`: how long retries go on before answers go to the spill file."""

    def __init__(
        self, path: str | Path | None = None, *, busy_timeout_s: float = 60.0, write_deadline_s: float = 600.0
    ) -> None:
        self.path = Path(path) if path else default_store_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False)
            if not self._has_schema():  # an existing store is opened without taking the write lock
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.executescript(SCHEMA)
                self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
            self._migrate()
            self._db.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.DatabaseError as exc:
            raise UserError(
                f"cannot open the response store {self.path}: {exc}",
                "point --store (or $DISTILLSCOPE_STORE) at a writable SQLite file",
            ) from exc
        self._writer = StoreWriter(self.path, busy_timeout_s, write_deadline_s)
        self._writer_thread: ThreadPoolExecutor | None = None
        self._writer.import_spill()

    def _migrate(self) -> None:
        """Bring a store written by an older version up to date (a nullable column: old rows read as before).

        A store that cannot be written now (read-only, locked) still opens: the
        column is missing, so its answers read with no log-probabilities and an
        answer that carries some cannot be written until the store is migrated.
        """
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(responses)")}
        if "logprobs_json" in columns:
            return
        try:
            self._db.execute("ALTER TABLE responses ADD COLUMN logprobs_json TEXT")
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
        except sqlite3.OperationalError:
            pass  # read as NULL (see `_columns`)

    @property
    def _columns(self) -> str:
        """The columns to read: `logprobs_json` reads as NULL in a store that does not have it (yet)."""
        cached = self.__dict__.get("_columns_cache")
        if cached is None:
            present = {row[1] for row in self._db.execute("PRAGMA table_info(responses)")}
            cached = _RESPONSE_COLUMNS if "logprobs_json" in present else _RESPONSE_COLUMNS.replace("logprobs_json", "NULL")
            self._columns_cache = cached
        return cached

    def _has_schema(self) -> bool:
        found = self._db.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
        return bool(found[0]) and self._db.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone() is not None

    def close(self) -> None:
        if self._writer_thread is not None:
            self._writer_thread.shutdown(wait=True)  # every answer handed to the writer is written (or spilled)
            self._writer_thread = None
        self._writer.close()
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
            rows = self._db.execute(f"SELECT {self._columns} FROM responses WHERE key IN ({marks})", chunk)
            for row in rows:
                found[row[0]] = _row_to_response(row, cached=True)
        return found

    def get(self, key: str) -> Response | None:
        return self.get_many([key]).get(key)

    def iter_responses(self, model: str | None = None) -> Iterator[dict]:
        """Every stored answer with its input, for export and offline metrics."""
        sql = f"SELECT {self._columns}, input_json, rendered_input FROM responses"
        args: tuple = ()
        if model:
            sql += " WHERE model = ?"
            args = (model,)
        for row in self._db.execute(sql + " ORDER BY created_at, key", args):
            record = _row_to_response(row[:_N_RESPONSE_COLUMNS], cached=True).model_dump(exclude={"cached"})
            record["messages"] = json.loads(row[_N_RESPONSE_COLUMNS])
            record["rendered_input"] = row[_N_RESPONSE_COLUMNS + 1]
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
    def put(self, response: Response, request: GenerationRequest, rendered_input: str, *, replace: bool = False) -> bool:
        """Store one answer at once. Returns False if the key was already stored (and `replace` is off)."""
        return self.put_many([(response, request, rendered_input)], replace=replace) == 1

    def put_many(self, items: Sequence[tuple[Response, GenerationRequest, str]], *, replace: bool = False) -> int:
        """Store answers in one transaction; `replace` overwrites stored ones (a refresh). Returns rows written."""
        return self._writer.write([_response_row(*item) for item in items], replace=replace)

    def record_failure(self, failure: Failure) -> None:
        self.record_failures([failure])

    def record_failures(self, failures: Sequence[Failure]) -> None:
        self._writer.write([_failure_row(f) for f in failures])

    async def aput_many(self, items: Sequence[tuple[Response, GenerationRequest, str]], *, replace: bool = False) -> int:
        """`put_many` on the store's writer thread: the event loop runs on while a lock is waited out."""
        return await self.submit_many(items, replace=replace)

    def submit_many(
        self, items: Sequence[tuple[Response, GenerationRequest, str]], *, replace: bool = False
    ) -> "asyncio.Future[int]":
        """Queue `put_many` on the writer thread now (call from a running loop); await the future for its result.

        The write happens even if nobody awaits it or the awaiting task is cancelled.
        """
        return self._on_writer(partial(self.put_many, list(items), replace=replace))

    async def arecord_failures(self, failures: Sequence[Failure]) -> None:
        await self._off_loop(partial(self.record_failures, list(failures)))

    async def aflush(self) -> None:
        """Wait until every write handed to the writer thread so far is done (written or spilled)."""
        if self._writer_thread is not None:
            await self._on_writer(lambda: None)

    async def _off_loop(self, call):  # noqa: ANN001, ANN202
        return await self._on_writer(call)

    def _on_writer(self, call):  # noqa: ANN001, ANN202
        """Queue a call on the writer thread; cancelling the returned future never unqueues it.

        (A plain `run_in_executor` future, once cancelled, cancels its job if the
        thread has not started it: a received answer would then never be written.)
        """
        job = asyncio.get_running_loop().run_in_executor(self._writer_executor(), call)
        job.add_done_callback(lambda done: done.cancelled() or done.exception())  # seen, even if nobody awaits
        return asyncio.shield(job)

    def _writer_executor(self) -> ThreadPoolExecutor:
        """One thread for every write, so writes keep their order and a flush is a no-op queued behind them."""
        if self._writer_thread is None:
            self._writer_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="distillscope-store")
        return self._writer_thread

    def prune(self, model: str, before: datetime | str | None = None) -> PruneResult:
        """Delete a model's answers and failures (by identity, as in `stats`), only those older than `before` if given.

        `before` is a datetime (naive means UTC) or an ISO date/time string such as `2026-01-31`.
        """
        where, args = "model = ?", [model]
        if before is not None:
            where += " AND created_at < ?"
            args.append(_utc_iso(before))
        responses = self._writer.execute(f"DELETE FROM responses WHERE {where}", tuple(args))
        failures = self._writer.execute(f"DELETE FROM failures WHERE {where}", tuple(args))
        return PruneResult(responses=responses, failures=failures)

    def vacuum(self) -> None:
        """Give the space of deleted rows back to the file system."""
        self._writer.execute("VACUUM")

    # -- summaries ---------------------------------------------------------------
    def stats(self) -> StoreStats:
        db = self._db
        per_model = [
            {"model": m, "responses": n, "completion_tokens": t or 0, "failures": f, "bytes": b or 0,
             "oldest": first, "newest": last}
            for m, n, t, f, b, first, last in db.execute(
                f"SELECT r.model, COUNT(*), SUM(r.completion_tokens),"
                f" (SELECT COUNT(*) FROM failures f WHERE f.model = r.model),"
                f" SUM({_ROW_BYTES if 'logprobs_json' in self._columns else _ROW_BYTES.replace('logprobs_json', 'NULL')}),"
                f" MIN(r.created_at), MAX(r.created_at)"
                f" FROM responses r GROUP BY r.model ORDER BY r.model"
            )
        ]
        spill = spill_path(self.path)
        unsaved = sum(1 for line in spill.open(encoding="utf-8") if '"responses"' in line) if spill.exists() else 0
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
            unsaved_answers=unsaved,
        )

    def model_names(self) -> list[str]:
        """Every model identity with stored answers or failures."""
        rows = self._db.execute("SELECT model FROM responses UNION SELECT model FROM failures ORDER BY model")
        return [row[0] for row in rows]


def _response_row(response: Response, request: GenerationRequest, rendered_input: str) -> Row:
    values = (
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
    )
    if response.top_logprobs is None:  # text-only rows keep the old shape (and still fit a store not yet migrated)
        return ("responses", _INSERT_COLUMNS, values)
    logprobs = canonical_json({"tokens": response.tokens, "top_logprobs": response.top_logprobs})
    return ("responses", _INSERT_COLUMNS + ("logprobs_json",), values + (logprobs,))


def _failure_row(failure: Failure) -> Row:
    values = tuple(getattr(failure, column) for column in _FAILURE_COLUMNS)
    # a server's error body may echo the key it was sent: masked before it reaches the file
    return ("failures", _FAILURE_COLUMNS, values[:5] + (redact(failure.message)[:2000],) + values[6:])


def _utc_iso(moment: datetime | str) -> str:
    """The `created_at` format (UTC ISO, milliseconds), so comparing strings compares times."""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment.strip())
        except ValueError:
            raise UserError(f"'{moment}' is not a date", "write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def _row_to_response(row: tuple, cached: bool) -> Response:
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
