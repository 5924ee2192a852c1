"""Opening the response store to look, never to write: `store stats` and `store export`.

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
        uri = self.path.resolve().as_uri()
        try:
            self._db = _connect(f"{uri}?mode=ro")
        except sqlite3.OperationalError:
            self._db = _connect(f"{uri}?immutable=1")
            print(f"note: {self.path} is read from its main file only; answers still in its WAL file are not shown", file=sys.stderr)
        self._writer = None
        self._writer_thread = None

    def close(self) -> None:
        self._db.close()


def _connect(uri: str) -> sqlite3.Connection:
    db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    try:
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # reads the header: fails here, not later
    except sqlite3.DatabaseError:
        db.close()
        raise
    return db


def open_for_reading(path: str | Path | None) -> ResponseStore:
    """The store as it is: opened normally when we may write there, read-only otherwise.

    A missing store is not created (`store stats` on a typo must not leave an empty store behind).
    """
    target = Path(path).expanduser() if path else default_store_path()
    if not target.exists():
        raise UserError(f"there is no response store at {target}", "generate answers first, or point --store at an existing store")
    return ResponseStore(target) if may_write(target) else ReadOnlyResponseStore(target)


def may_write(store: Path) -> bool:
    """Whether this process may write the store file and create its WAL files beside it."""
    return os.access(store, os.W_OK) and os.access(store.parent, os.W_OK | os.X_OK)
