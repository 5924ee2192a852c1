"""Output and store paths, checked before any work starts, and written atomically.

A run that has paid for a thousand answers must not end in a traceback
because `--out` names a missing directory: every path a command will write is
checked up front, and a bad one is one line naming the path and the fix.
A missing directory is refused rather than created, so a typo in `--store`
(or `$DISTILLSCOPE_STORE`, or a config's `store:`) cannot quietly start a new,
empty store somewhere else; only the documented default location is created.

An output must never be a file the run needs: the store (or its `-wal`,
`-shm`, spill siblings), an input (prompts, config, suite), or another output
of the same run. Paths are compared as the files they are (`./a` and `a`,
a symlink and its target, two hard links), and an existing SQLite database is
never replaced by an output. Every output is written to a temporary file in
its own directory, synced, then renamed over the old one, so an error (or a
kill) part way leaves the previous file whole.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Union

from distillscope.errors import UserError

#: what an `inputs=` entry may be: one path, several, or None (not given)
PathsArg = Union[Path, str, Iterable[Union[Path, str]], None]
STORE_SIBLINGS = ("-wal", "-shm", "-journal", ".unsaved.jsonl")
SQLITE_MAGIC = b"SQLite format 3\x00"


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


# -- where the store is ----------------------------------------------------------------------------------------------


def store_location(path: Path | str | None) -> Path:
    """The store file a command uses, checked the same way whichever way it was named.

    `--store` and a config's `store:` arrive as `path`; otherwise
    `$DISTILLSCOPE_STORE`; otherwise the per-user default, the one location
    whose directory is created when missing.
    """
    if path:
        return check_parent(Path(path), "--store")
    env = os.environ.get("DISTILLSCOPE_STORE")
    if env:
        return check_parent(Path(env), "$DISTILLSCOPE_STORE")
    from platformdirs import user_data_dir

    default = Path(user_data_dir("distillscope")) / "store.sqlite"
    try:
        default.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(
            f"cannot create the default store directory {default.parent}: {exc.strerror}", "give --store a writable path"
        ) from None
    return default


def store_files(store: Path | str) -> list[Path]:
    """The store and the files SQLite (and the spill) keep beside it, as given and with links resolved."""
    given = Path(store).expanduser()
    found: list[Path] = []
    for base in dict.fromkeys((given, Path(os.path.realpath(given)))):
        found += [base, *(base.with_name(base.name + suffix) for suffix in STORE_SIBLINGS)]
    return found


# -- outputs that destroy nothing ------------------------------------------------------------------------------------


def same_file(a: Path | str, b: Path | str) -> bool:
    """Whether two paths name one file: equal once resolved (symlinks, `./`), or the same inode (hard links)."""
    if os.path.normcase(os.path.realpath(os.path.expanduser(a))) == os.path.normcase(os.path.realpath(os.path.expanduser(b))):
        return True
    try:
        return os.path.samefile(os.path.expanduser(a), os.path.expanduser(b))
    except OSError:
        return False


def is_sqlite_file(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


def _paths(value: PathsArg) -> list[Path]:
    if value is None:
        return []
    if isinstance(value, (str, Path)):
        return [Path(value)]
    return [Path(v) for v in value if v is not None]


#: the `--log FILE` of this process (cli/app.py): guard_outputs counts it among every run's outputs
LOG_FILES: list[Path] = []


def guard_outputs(outputs: Mapping[str, Path | None], *, inputs: Mapping[str, PathsArg] | None = None, store: PathsArg = None) -> None:
    """Refuse any output that is a store (with its SQLite siblings), an input, or another output of the same run.

    `outputs` maps each option (`--out`) to its path; `inputs` each input's
    role to its path(s); `store` the run's store(s). The default store
    (`$DISTILLSCOPE_STORE` or the user's) is always protected, so a command
    with no `--store` of its own cannot write over it either. Call it before
    any work is paid for.
    """
    if LOG_FILES:  # the process's `--log FILE` is appended to by every command: an output of this run too
        outputs = {**outputs, "--log": LOG_FILES[-1]}
    protected: list[tuple[str, Path]] = []
    stores = _paths(store) + [_default_store()]
    for each in stores:
        protected += [("the response store", sibling) for sibling in store_files(each)]
    for role, value in (inputs or {}).items():
        protected += [(role, path) for path in _paths(value)]
    written: list[tuple[str, Path]] = []
    for option, path in outputs.items():
        if path is None:
            continue
        for role, other in protected + written:
            if same_file(path, other):
                raise UserError(f"{option} {path} is {role} ({other}); writing it would destroy it", f"give {option} a path of its own")
        if is_sqlite_file(path):
            raise UserError(
                f"{option} {path} is an SQLite database (a response store?) and would be overwritten", f"give {option} a new path"
            )
        written.append((f"the path of {option}", Path(path)))


def _default_store() -> Path:
    env = os.environ.get("DISTILLSCOPE_STORE")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("distillscope")) / "store.sqlite"


@contextmanager
def atomic_output(path: Path | str) -> Iterator[Path]:
    """A temporary path beside `path`; when the block succeeds it is synced and renamed onto `path`.

    If the block raises, the temporary file is removed and `path` is left as it
    was. A symlinked output is written through to its target (the link stays).
    """
    target = Path(os.path.realpath(Path(path).expanduser()))
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}", "point the output at a writable location") from None
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        _sync(temporary)
        _copy_mode(target, temporary)
        os.replace(temporary, target)
        _sync_directory(target.parent)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise UserError(f"cannot write {path}: {exc.strerror or exc}", "point the output at a writable location") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_open(path: Path | str, mode: str = "w") -> Iterator[IO]:
    """`open(path, mode)` that replaces `path` only once everything was written (see `atomic_output`)."""
    with atomic_output(path) as temporary:
        encoding = None if "b" in mode else "utf-8"
        with open(temporary, mode, encoding=encoding) as handle:
            yield handle


def atomic_write_text(path: Path | str, text: str) -> None:
    """Write through a temporary file beside `path`, so a failed write leaves no half file."""
    with atomic_open(path) as handle:
        handle.write(text)


def _sync(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _sync_directory(directory: Path) -> None:
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # not possible everywhere (Windows); the rename itself is still atomic
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def _copy_mode(existing: Path, temporary: Path) -> None:
    """The replaced file keeps its permissions; a new one gets the usual ones (mkstemp makes it private)."""
    try:
        mode = existing.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(temporary, mode)
