"""Checks on GGUF files before llama.cpp or transformers sees them.

A missing or truncated GGUF otherwise surfaces as a crash deep inside a C
library; these checks turn it into one line that names the file and the fix.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from distillscope.errors import ModelFileError

GGUF_MAGIC = b"GGUF"


def check_gguf(path: str | Path) -> Path:
    path = Path(path).expanduser()
    if not path.exists():
        raise ModelFileError(f"model file {path} does not exist", "check the path in the model spec")
    if path.is_dir():
        raise ModelFileError(f"{path} is a directory, not a GGUF file", "point the spec at the .gguf file itself")
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic != GGUF_MAGIC:
        raise ModelFileError(
            f"{path} is not a GGUF file (it starts with {magic!r}, not b'GGUF')",
            "re-download or re-convert the model to GGUF",
        )
    return path


@lru_cache(maxsize=32)
def _metadata_cached(path: str, size: int, mtime: float) -> dict[str, str]:
    from distillscope.extras import require

    gguf = require("gguf", purpose="reading GGUF metadata")
    try:
        reader = gguf.GGUFReader(path)
    except Exception as exc:  # the reader raises many kinds on a truncated file
        raise ModelFileError(f"{path} is a corrupt GGUF file ({exc})", "re-download or re-assemble it") from exc
    wanted = ("general.architecture", "general.name", "general.type", "adapter.type", "tokenizer.chat_template")
    found: dict[str, str] = {}
    for name in wanted:
        field = reader.fields.get(name)
        if field is not None:
            found[name] = bytes(field.parts[field.data[0]]).decode("utf-8", errors="replace")
    return found


def gguf_metadata(path: str | Path) -> dict[str, str]:
    """A few string fields (architecture, name, type, adapter type, chat template) read without loading weights."""
    path = check_gguf(path)
    stat = path.stat()
    return _metadata_cached(str(path.resolve()), stat.st_size, stat.st_mtime)


@lru_cache(maxsize=32)
def _shapes_cached(path: str, size: int, mtime: float) -> dict[str, tuple[int, ...]]:
    from distillscope.extras import require

    gguf = require("gguf", purpose="reading GGUF tensors")
    return {t.name: tuple(int(d) for d in t.shape) for t in gguf.GGUFReader(path).tensors}


def tensor_shapes(path: str | Path) -> dict[str, tuple[int, ...]]:
    """Every tensor's name and shape in llama.cpp's order (ne[0] first, numpy's reversed), read without loading any
    weight; cached per file version, since an adapter check and an export read the same base again and again."""
    path = check_gguf(path)
    stat = path.stat()
    return _shapes_cached(str(path.resolve()), stat.st_size, stat.st_mtime)


def has_chat_template(path: str | Path) -> bool:
    return bool(gguf_metadata(path).get("tokenizer.chat_template"))
