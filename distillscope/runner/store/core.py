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
never blocks the event loop. The tables and the row conversions are in
`rows.py`, the `store stats` summary in `stats.py`.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TypeVar

from distillscope.errors import UserError
from distillscope.paths import store_location
from distillscope.runner.store import readonly_db
from distillscope.runner.store.rows import (
    FAILURE_COLUMNS,
    N_RESPONSE_COLUMNS,
    RESPONSE_COLUMNS,
    SCHEMA,
    SCHEMA_VERSION,
    failure_row,
    response_row,
    row_to_response,
    stored_rendered_input,
    utc_iso,
    utc_now,
)
from distillscope.runner.store.stats import PruneResult, StoreStats, store_stats
from distillscope.runner.store.writes import StoreUnavailableError, StoreWriter
from distillscope.types import Failure, GenerationRequest, Response

T = TypeVar("T")

__all__ = ["PruneResult", "ResponseStore", "StoreStats", "StoreUnavailableError", "default_store_path", "utc_now"]


def default_store_path() -> Path:
    """`$DISTILLSCOPE_STORE`, else one store per user so answers are reused across projects."""
    env = os.environ.get("DISTILLSCOPE_STORE")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("distillscope")) / "store.sqlite"


class ResponseStore:
    """`busy_timeout_s`: how long one write waits for another process's lock;
    `write_deadline_s`: how long retries go on before answers go to the spill file."""

    def __init__(self, path: str | Path | None = None, *, busy_timeout_s: float = 60.0, write_deadline_s: float = 600.0) -> None:

        self.path = store_location(path)  # --store, a config's store, $DISTILLSCOPE_STORE: one check; only the default is created
        self.read_only = self.path.exists() and not readonly_db.may_write(self.path)
        self._writer: StoreWriter | readonly_db.ReadOnlyWriter
        self._writer_thread: ThreadPoolExecutor | None = None
        if self.read_only:  # cached answers are still served; a write fails with one line (see ReadOnlyWriter)
            self._db = readonly_db.connect_read_only(self.path)
            self._writer = readonly_db.ReadOnlyWriter(self.path)
            return
        try:
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
            cached = RESPONSE_COLUMNS if "logprobs_json" in present else RESPONSE_COLUMNS.replace("logprobs_json", "NULL")
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
                found[row[0]] = row_to_response(row, cached=True)
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
            record = row_to_response(row[:N_RESPONSE_COLUMNS], cached=True).model_dump(exclude={"cached"})
            record["messages"] = json.loads(row[N_RESPONSE_COLUMNS])
            record["rendered_input"] = stored_rendered_input(row[N_RESPONSE_COLUMNS], row[N_RESPONSE_COLUMNS + 1])
            yield record

    def failures(self, model: str | None = None) -> list[Failure]:
        sql = "SELECT key, model, prompt_id, sample_index, error_type, message, attempts, created_at FROM failures"
        args: tuple = ()
        if model:
            sql += " WHERE model = ?"
            args = (model,)
        return [Failure(**dict(zip(FAILURE_COLUMNS, row))) for row in self._db.execute(sql + " ORDER BY id", args)]

    # -- writing -----------------------------------------------------------------
    def put(self, response: Response, request: GenerationRequest, rendered_input: str, *, replace: bool = False) -> bool:
        """Store one answer at once. Returns False if the key was already stored (and `replace` is off)."""
        return self.put_many([(response, request, rendered_input)], replace=replace) == 1

    def put_many(self, items: Sequence[tuple[Response, GenerationRequest, str]], *, replace: bool = False) -> int:
        """Store answers in one transaction; `replace` overwrites stored ones (a refresh). Returns rows written."""
        return self._writer.write([response_row(*item) for item in items], replace=replace)

    def record_failure(self, failure: Failure) -> None:
        self.record_failures([failure])

    def record_failures(self, failures: Sequence[Failure]) -> None:
        self._writer.write([failure_row(f) for f in failures])

    async def aput_many(self, items: Sequence[tuple[Response, GenerationRequest, str]], *, replace: bool = False) -> int:
        """`put_many` on the store's writer thread: the event loop runs on while a lock is waited out."""
        return await self.submit_many(items, replace=replace)

    def submit_many(self, items: Sequence[tuple[Response, GenerationRequest, str]], *, replace: bool = False) -> "asyncio.Future[int]":
        """Queue `put_many` on the writer thread now (call from a running loop); await the future for its result.

        The write happens even if nobody awaits it or the awaiting task is cancelled.
        """
        return self._on_writer(partial(self.put_many, list(items), replace=replace))

    async def transact(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work(connection)` in one write transaction on the writer thread (leases: see leases.py)."""
        return await self._on_writer(partial(self._writer.transaction, work))

    async def arecord_failures(self, failures: Sequence[Failure]) -> None:
        await self._off_loop(partial(self.record_failures, list(failures)))

    async def aflush(self) -> None:
        """Wait until every write handed to the writer thread so far is done (written or spilled)."""
        if self._writer_thread is not None:
            await self._on_writer(lambda: None)

    async def _off_loop(self, call: Callable[[], T]) -> T:
        return await self._on_writer(call)

    def _on_writer(self, call: Callable[[], T]) -> asyncio.Future[T]:
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
            args.append(utc_iso(before))
        responses = self._writer.execute(f"DELETE FROM responses WHERE {where}", tuple(args))
        failures = self._writer.execute(f"DELETE FROM failures WHERE {where}", tuple(args))
        return PruneResult(responses=responses, failures=failures)

    def vacuum(self) -> None:
        """Give the space of deleted rows back to the file system."""
        self._writer.execute("VACUUM")

    # -- summaries ---------------------------------------------------------------
    def stats(self) -> StoreStats:
        return store_stats(self._db, self.path, self._columns)

    def model_names(self) -> list[str]:
        """Every model identity with stored answers or failures."""
        rows = self._db.execute("SELECT model FROM responses UNION SELECT model FROM failures ORDER BY model")
        return [row[0] for row in rows]
