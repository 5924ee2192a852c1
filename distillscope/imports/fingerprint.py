"""A file's content fingerprint: what a replayed answer's store key and a report name it by.

The path alone is not enough (issue: a rewritten file kept serving its old
answers from the store, and a same-named file in another directory got the
first one's), so the key holds the sha256 of the bytes. It is cached by
(path, size, mtime) so a run hashes each file once.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

_CACHE: dict[tuple[str, int, int], str] = {}
_CHUNK = 1 << 20


def _file_digest(path: Path, digest: "hashlib._Hash") -> None:
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)


def content_fingerprint(*paths: Path) -> str:
    """`sha256:<hex>` of the files' bytes (a directory: every file in it, by relative name), in the order given."""
    stamps = []
    for path in paths:
        stat = path.stat()
        stamps.append((str(path.resolve()), stat.st_size, stat.st_mtime_ns))
    cache_key = tuple(stamps)
    if len(paths) == 1 and cache_key[0] in _CACHE:
        return _CACHE[cache_key[0]]
    digest = hashlib.sha256()
    for path in paths:
        if path.is_dir():
            for member in sorted(p for p in path.rglob("*") if p.is_file()):
                digest.update(str(member.relative_to(path)).encode("utf-8") + b"\0")
                _file_digest(member, digest)
        else:
            _file_digest(path, digest)
        digest.update(b"\0\0")
    value = "sha256:" + digest.hexdigest()
    if len(paths) == 1 and not paths[0].is_dir():
        _CACHE[cache_key[0]] = value
    return value
