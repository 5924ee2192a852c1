"""What a store this process may not write is opened with: a connection that cannot write, and a writer that refuses.

`ResponseStore` (core.py) uses them for a store on a read-only disk or file; `readonly.py` for every
look at a store (`store stats`, `store export`). Apart from both so neither imports the other.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from distillscope.errors import UserError
from distillscope.runner.store.writes import Row

T = TypeVar("T")


class ReadOnlyWriter:
    """The writer of a store this process may not write: nothing to write is fine, anything else is one line.

    So a read-only store serves every cached answer (`generate`, the metric
    commands), and fails only when an answer or a failure would have to be stored.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, rows: Sequence[Row], replace: bool = False) -> int:
        if not rows:
            return 0
        raise self.refusal(f"{len(rows)} new row(s)")

    def execute(self, sql: str, args: tuple = ()) -> int:
        raise self.refusal("a change")

    def transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
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


def may_write(store: Path) -> bool:
    """Whether this process may write the store file and create its WAL files beside it."""
    return os.access(store, os.W_OK) and os.access(store.parent, os.W_OK | os.X_OK)
