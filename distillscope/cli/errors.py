"""Running the app: every user-caused error ends in one line and a non-zero exit, never a traceback.

User errors (and a damaged store or an unusable path) become one line on
stderr and exit code 2, a mistyped option typer's usage line and exit code 2,
Ctrl-C a note on resuming and exit code 130; answers already stored are never
lost.
"""

from __future__ import annotations

import importlib
import os
import sqlite3
import sys
from typing import TYPE_CHECKING

import typer

from distillscope.cli.app import app

INTERRUPTED = "interrupted: every answer received so far is stored; re-run the same command to resume."
EXIT_INTERRUPTED = 130

if TYPE_CHECKING:

    class _UsageError(Exception):
        """What `main` uses of click's ClickException, whichever copy of click typer raises it from."""

        exit_code: int

        def show(self) -> None: ...


def _usage_error_type() -> type[_UsageError]:
    """The class of typer's usage errors (a mistyped option, a missing argument).

    typer >= 0.2x carries its own copy of click as `typer._click` and no longer
    depends on the `click` package; older typer raises click's own classes. The
    separate `click` package may be installed (by other libraries) or absent,
    so it is only consulted when typer has no copy of its own.
    """
    for module in ("typer._click.exceptions", "click.exceptions"):
        try:
            return importlib.import_module(module).ClickException
        except ImportError:
            continue
    raise RuntimeError("typer provides no usage-error class")  # pragma: no cover


def main(argv: list[str] | None = None) -> None:
    """Run the CLI: usage errors exit 2 with typer's usage line, user errors print one line and exit 2."""
    from distillscope.errors import EXIT_USER_ERROR, UserError

    # numpy's OpenBLAS on one thread unless the user says otherwise: distillscope's matrices are small, and idle
    # BLAS threads spin, which on a busy machine made a cached demo 2.7x slower (docs/local-models.md)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    usage_error = _usage_error_type()
    try:
        code = app(args=argv, standalone_mode=False)
    except UserError as exc:
        _fail(exc.one_line(), EXIT_USER_ERROR)
    except usage_error as exc:
        exc.show()  # typer's usual "Usage: ... Try '... --help'. Error: ..." lines
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        _interrupted()
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, (sqlite3.ProgrammingError, sqlite3.InterfaceError, sqlite3.InternalError)):
            raise  # our bug, not the user's file: keep the traceback
        _fail(
            f"the response store (SQLite) cannot be used: {exc}. Fix: point --store (or $DISTILLSCOPE_STORE) at a "
            "readable, writable SQLite file; a damaged one can be salvaged with `sqlite3 STORE .recover`",
            EXIT_USER_ERROR,
        )
    except OSError as exc:
        if exc.filename is None:
            raise
        _fail(f"cannot use {exc.filename}: {exc.strerror or exc}. Fix: check that the path exists and is writable", EXIT_USER_ERROR)
    except Exception:
        # a bug keeps its traceback, with every known secret masked (a frame may hold the key)
        import traceback

        from distillscope.secrets import redact

        sys.stderr.write(redact(traceback.format_exc()))
        sys.exit(1)
    if code == EXIT_INTERRUPTED:
        # typer turns Ctrl-C into Exit(130), which a non-standalone run returns as its code
        _interrupted()
    sys.exit(code if isinstance(code, int) else 0)


def _fail(line: str, code: int) -> None:
    from distillscope.secrets import redact

    typer.echo(f"error: {_one_line(redact(line))}", err=True)
    sys.exit(code)


def _one_line(text: str) -> str:
    """The message on one line, whatever user text it quotes: a spec, a path or a file's line may hold a line break,
    a control character or a byte that is not UTF-8 (a lone surrogate), and none may split or break the line."""
    text = "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text.strip())
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _interrupted() -> None:
    typer.echo(INTERRUPTED, err=True)
    sys.exit(EXIT_INTERRUPTED)
