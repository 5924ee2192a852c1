"""Cheap fingerprints of local model files, for store keys.

A local spec names a path, and the file at that path can be replaced (a
re-download, a retrained directory, a new quantisation under the old name).
Hashing gigabytes on every run is too slow, so a file's fingerprint is its
size, its modification time and a sha256 of its first and last MiB: a
replaced file changes at least one of them, and computing it reads 2 MiB.
Copying a model without keeping modification times (`cp` without `-p`) gives
new keys, so its answers are generated again: a cost, never a stale answer.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

CHUNK = 1 << 20


@lru_cache(maxsize=512)
def _file_digest(path: str, size: int, mtime_ns: int, ctime_ns: int, inode: int) -> str:
    # ctime and inode only invalidate this cache (any write or replacement changes them);
    # they stay out of the digest, so a copy that keeps mtimes keeps its keys
    digest = hashlib.sha256(f"{size}:{mtime_ns}:".encode())
    with open(path, "rb") as handle:
        digest.update(handle.read(CHUNK))
        if size > CHUNK:
            handle.seek(max(CHUNK, size - CHUNK))
            digest.update(handle.read(CHUNK))
    return digest.hexdigest()


def file_fingerprint(path: str | Path) -> str:
    """16 hex digits from (size, mtime, first and last MiB) of one file."""
    path = Path(path).expanduser().resolve()
    stat = path.stat()
    return _file_digest(str(path), stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)[:16]


def dir_fingerprint(path: str | Path) -> str:
    """16 hex digits over every visible file directly in a model directory (weights, config, tokenizer, template).

    Sub-directories (checkpoints, adapters) are not part of the model a
    transformers directory loads, so they are left out.
    """
    path = Path(path).expanduser().resolve()
    digest = hashlib.sha256()
    for child in sorted(path.iterdir()):
        if child.name.startswith(".") or not child.is_file():
            continue
        digest.update(f"{child.name}\0{file_fingerprint(child)}\n".encode())
    return digest.hexdigest()[:16]
