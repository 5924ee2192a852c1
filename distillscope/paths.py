"""Output and store paths, checked before any work starts.

A run that has paid for a thousand answers must not end in a traceback
because `--out` names a missing directory: every path a command will write is
checked up front, and a bad one is one line naming the path and the fix.
A missing directory is refused rather than created, so a typo in `--store`
cannot quietly start a new, empty store somewhere else.
"""

from __future__ import annotations

import os
from pathlib import Path

from distillscope.errors import UserError


def check_parent(path: Path, what: str) -> Path:
    """`path` names a file (not a directory) inside a directory that exists."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise UserError(f"{what} {path} is a directory", f"give {what} a file path inside it")
    parent = path.parent
    ancestor = parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if ancestor.exists() and not ancestor.is_dir():
        raise UserError(f"{what} {path}: {ancestor} is a file, not a directory", f"correct {what}")
    if not parent.exists():
        raise UserError(f"{what} {path}: the directory {parent} does not exist", f"create it (mkdir -p {parent}) or correct {what}")
    return path


def require_writable_file(path: Path, what: str, *, must_exist: bool = False, create_parent: bool = False) -> Path:
    """`path` can be written: its directory exists (or is created) and is writable, and so is the file if present."""
    path = Path(path).expanduser()
    if create_parent and not path.parent.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"cannot create the directory {path.parent} for {what}: {exc.strerror}", f"correct {what}") from None
    path = check_parent(path, what)
    if must_exist and not path.exists():
        raise UserError(f"{what} {path} does not exist", "check the path")
    if not os.access(path.parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UserError(f"cannot write {what} {path}: permission denied", f"point {what} at a writable location")
    return path


def atomic_write_text(path: Path, text: str) -> None:
    """Write through a temporary file beside `path`, so a failed write leaves no half file."""
    temporary = path.with_name(path.name + ".partial")
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise UserError(f"cannot write {path}: {exc.strerror or exc}", "point the output at a writable location") from None
