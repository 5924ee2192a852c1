"""The `distillscope` command line: the app and its commands (`app.py`), run by `main` (`errors.py`).

Each command module holds option parsing and printing only; the work is in
the library, so a notebook can do whatever a command does.
"""

from __future__ import annotations

from distillscope.cli.app import app
from distillscope.cli.errors import EXIT_INTERRUPTED, INTERRUPTED, main

__all__ = ["EXIT_INTERRUPTED", "INTERRUPTED", "app", "main"]
