"""Opening the response store to look, never to write: `store stats`, `store export`, and any read-only store.

A store on a read-only disk, a shared directory or a file without write
permission can still be inspected. It is opened through SQLite's `mode=ro`
URI, and, when even that fails (a WAL store whose `-shm` file cannot be
created in a read-only directory), with `immutable=1`, which reads the file as
it is and misses only answers not yet checkpointed from the WAL, so that case
is said on stderr.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

from distillscope.errors import UserError
from distillscope.runner.store import ResponseStore, default_store_path


class ReadOnlyResponseStore(ResponseStore):
    """The store's readers (stats, failures, iter_responses, get_many) on a connection that cannot write."""

    def __init__(self, path: str | Path | None = None) -> None:  # noqa: D107 - the class docstring says it
        self.path = Path(path) if path else default_store_path()
        if not self.path.exists():
            raise UserError(f"there is no response store at {self.path}", "generate answers first, or point --store at an existing store")
        self._db = connect_read_only(self.path)
        self._writer = ReadOnlyWriter(self.path)
        self._writer_thread = None
        self.read_only = True

    def close(self) -> None:
        self._db.close()


class ReadOnlyWriter:
    """The writer of a store this process may not write: nothing to write is fine, anything else is one line.

    So a read-only store serves every cached answer (`generate`, the metric
    commands), and fails only when an answer or a failure would have to be stored.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, rows, replace: bool = False) -> int:  # noqa: ANN001
        if not rows:
            return 0
        raise self.refusal(f"{len(rows)} new row(s)")

    def execute(self, sql: str, args: tuple = ()) -> int:
        raise self.refusal("a change")

    def transaction(self, work) -> object:  # noqa: ANN001
        raise self.refusal("a lease on a request")

    def refusal(self, what: str) -> UserError:
        return UserError(
            f"the response store {self.path} is read-only and {what} would have to be written to it",
            "make the store (and its directory) writable, or copy it somewhere writable and pass --store COPY",
        )

    def import_spill(self) -> int:
        return 0

    def close(self) -> None:
        pass


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A connection that cannot write: `mode=ro`, or `immutable=1` where even the WAL index cannot be made."""
    uri = Path(path).resolve().as_uri()
    try:
        return _connect(f"{uri}?mode=ro")
    except sqlite3.OperationalError:
        db = _connect(f"{uri}?immutable=1")
        print(f"note: {path} is read from its main file only; answers still in its WAL file are not shown", file=sys.stderr)
        return db


def _connect(uri: str) -> sqlite3.Connection:
    db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    try:
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # reads the header: fails here, not later
    except sqlite3.DatabaseError:
        db.close()
        raise
    return db


def open_for_reading(path: str | Path | None) -> ResponseStore:
    """The store as it is, opened on a connection that cannot write (`store stats`, `store export`).

    A missing store is not created (`store stats` on a typo must not leave an empty store behind).
    """
    target = Path(path).expanduser() if path else default_store_path()
    if not target.exists():
        raise UserError(f"there is no response store at {target}", "generate answers first, or point --store at an existing store")
    if target.is_file() and not _has_sqlite_header(target):
        # SQLite takes an empty (or too short) file for a new database and would write a schema into it: looking
        # at a store must never change the file, so anything that is not yet a database is refused as it is
        raise UserError(
            f"{target} is not a database (an empty or too short file with no SQLite header), so it is no response store",
            "point --store at a store distillscope wrote, or remove that file",
        )
    # always through a connection that cannot write, even where we may: looking (stats, export) must leave the
    # file byte for byte as it was, a damaged one above all (a writable open may migrate, checkpoint or recover)
    return ReadOnlyResponseStore(target)


def _has_sqlite_header(path: Path) -> bool:
    """Whether the file starts as every SQLite database does (a 100-byte header led by its magic string)."""
    with open(path, "rb") as handle:
        return handle.read(16) == b"SQLite format 3\x00"


def may_write(store: Path) -> bool:
    """Whether this process may write the store file and create its WAL files beside it."""
    return os.access(store, os.W_OK) and os.access(store.parent, os.W_OK | os.X_OK)
