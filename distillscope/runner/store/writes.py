"""Writes to the response store that survive a busy database.

Another process (a second run, a `store export`, a backup tool) may hold the
SQLite write lock for a long time. An answer we already received has been
paid for, so a write is retried with backoff (tenacity) on top of a long busy
timeout, on its own connection and thread so the event loop keeps running.
If the lock outlasts the deadline, the rows go to a JSONL file next to the
store (`<store>.unsaved.jsonl`), which the next open of the store imports,
and the caller gets one `StoreUnavailableError` line saying so.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_exponential_jitter

from distillscope.errors import UserError

#: (table, column names, values) of one row to insert
Row = tuple[str, tuple[str, ...], tuple]
T = TypeVar("T")


class StoreUnavailableError(UserError):
    """The store could not take an answer; the answer was kept in the spill file instead."""


def is_busy(exc: BaseException) -> bool:
    """SQLITE_BUSY / SQLITE_LOCKED: another connection holds the lock; worth waiting for."""
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def spill_path(store_path: Path) -> Path:
    return store_path.with_name(store_path.name + ".unsaved.jsonl")


class StoreWriter:
    """One writing connection, used under a lock, retried while the database is busy."""

    def __init__(self, path: Path, busy_timeout_s: float, deadline_s: float) -> None:
        self.path = path
        self.busy_timeout_s = busy_timeout_s
        self.deadline_s = deadline_s
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        #: set once the deadline has passed: later writes go straight to the spill file
        self._gave_up: str | None = None

    def write(self, rows: Sequence[Row], replace: bool = False) -> int:
        """Insert rows in one transaction; the number actually inserted (duplicates are ignored)."""
        if not rows:
            return 0
        if self._gave_up is not None and self._lock_is_free():
            self._gave_up = None  # the other writer is gone: back to normal writes
        if self._gave_up is None:
            try:
                for attempt in self._retrying():
                    with attempt:
                        return self._write_once(rows, replace)
            except sqlite3.DatabaseError as exc:
                waited = f" for {self.deadline_s:.0f} s" if is_busy(exc) else ""
                self._gave_up = f"{exc}{waited}"
        self._spill(rows)
        raise StoreUnavailableError(
            f"the response store {self.path} could not be written ({self._gave_up}); "
            f"the answers received were kept in {spill_path(self.path)} and are imported the next time the store opens",
            "stop whatever else writes to the store (another distillscope run, a backup), then re-run to resume",
        )

    def _write_once(self, rows: Sequence[Row], replace: bool) -> int:
        verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"

        def insert(db: sqlite3.Connection) -> int:
            inserted = 0
            for table, columns, values in rows:
                marks = ",".join("?" * len(columns))
                inserted += db.execute(f"{verb} INTO {table} ({', '.join(columns)}) VALUES ({marks})", values).rowcount
            return inserted

        return self._locked_transaction(insert)

    def _retrying(self) -> Retrying:
        """Attempts of one write, retried with backoff while the database is busy, up to `deadline_s`."""
        return Retrying(
            stop=stop_after_delay(self.deadline_s),
            wait=wait_exponential_jitter(multiplier=0.05, max=5.0, jitter=0.1),
            retry=retry_if_exception(is_busy),
            reraise=True,
        )

    def _locked_transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work(connection)` between BEGIN IMMEDIATE and COMMIT under the writer's lock, rolled back on any error."""
        with self._lock:
            db = self._connection()
            try:
                db.execute("BEGIN IMMEDIATE")
                result = work(db)
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            return result

    def transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work(connection)` inside one write transaction (BEGIN IMMEDIATE), retried while the database is busy; never spilled."""
        for attempt in self._retrying():
            with attempt:
                return self._locked_transaction(work)
        raise RuntimeError("unreachable: tenacity re-raises the last error")

    def execute(self, sql: str, args: tuple = ()) -> int:
        """One statement (deletes, maintenance), retried like inserts but never spilled."""
        for attempt in self._retrying():
            with attempt, self._lock:
                return self._connection().execute(sql, args).rowcount
        return 0  # unreachable: tenacity re-raises

    def _lock_is_free(self) -> bool:
        """Take and release the write lock without waiting."""
        with self._lock:
            db = self._connection()
            db.execute("PRAGMA busy_timeout = 0")
            try:
                db.execute("BEGIN IMMEDIATE")
                db.execute("ROLLBACK")
                return True
            except sqlite3.DatabaseError:
                return False
            finally:
                db.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA synchronous=NORMAL")
        return self._db

    def _spill(self, rows: Sequence[Row]) -> None:
        target = spill_path(self.path)
        with self._lock, target.open("a", encoding="utf-8") as handle:
            for table, columns, values in rows:
                handle.write(json.dumps({"table": table, "row": dict(zip(columns, values))}, ensure_ascii=False) + "\n")
            handle.flush()

    def import_spill(self) -> int:
        """Move rows a previous run could not write into the store; the number imported."""
        source = spill_path(self.path)
        if not source.exists():
            return 0
        try:
            if not self._lock_is_free():
                return 0  # still held by the other writer: the file waits for a later open
        except sqlite3.DatabaseError:
            return 0
        rows: list[Row] = []
        for line in source.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
                rows.append((record["table"], tuple(record["row"]), tuple(record["row"].values())))
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a crash: the rest are still good
        try:
            imported = self._write_once(rows, replace=False) if rows else 0
        except sqlite3.DatabaseError:
            return 0  # still busy or read-only: the file stays for the next open
        source.unlink()
        return imported

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
