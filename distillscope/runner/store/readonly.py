"""Opening the response store to look, never to write: `store stats`, `store export`, and any read-only store.

A store on a read-only disk, a shared directory or a file without write
permission can still be inspected. It is opened through SQLite's `mode=ro`
URI, and, when even that fails (a WAL store whose `-shm` file cannot be
created in a read-only directory), with `immutable=1`, which reads the file as
it is and misses only answers not yet checkpointed from the WAL, so that case
is said on stderr.
"""

from __future__ import annotations

from pathlib import Path

from distillscope.errors import UserError
from distillscope.runner.store.core import ResponseStore, default_store_path
from distillscope.runner.store.readonly_db import ReadOnlyWriter, connect_read_only


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
