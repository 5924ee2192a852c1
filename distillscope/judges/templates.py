"""Judge prompt templates: packaged jinja2 files a user can override with their own."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from distillscope.errors import InputFileError

if TYPE_CHECKING:
    import jinja2


def load_template(name_or_path: str | Path) -> jinja2.Template:
    """A packaged template by name (`rse`), or a user's jinja2 file by path."""
    import jinja2

    path = Path(name_or_path)
    if path.suffix in (".jinja2", ".j2", ".txt") or path.exists():
        if not path.exists():
            raise InputFileError(f"judge template {path} does not exist", "check the path, or use a packaged name like 'rse'")
        source = path.read_text(encoding="utf-8")
    else:
        packaged = files("distillscope.judges") / "templates" / f"{name_or_path}.jinja2"
        if not packaged.is_file():
            raise InputFileError(f"no packaged judge template named '{name_or_path}'", "give a path to a .jinja2 file")
        source = packaged.read_text(encoding="utf-8")
    try:
        # Autoescape off: the judge sees raw text; undefined names fail loudly instead of rendering empty.
        return jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True).from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise InputFileError(f"judge template {name_or_path} line {exc.lineno}: {exc.message}", "fix the jinja2 syntax") from None
