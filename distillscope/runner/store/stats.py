"""What a response store holds, per model: `store stats` and the `prune` count.

Read-only queries over an open connection, so the normal store and the
read-only one (`readonly.py`) summarise the same way.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pydantic import BaseModel

from distillscope.runner.store.rows import ROW_BYTES
from distillscope.runner.store.writes import spill_path


class StoreStats(BaseModel):
    path: str
    responses: int
    failures: int
    failed_keys_without_answer: int
    completion_tokens: int
    #: the store's files on disk (database, WAL, shared memory)
    size_bytes: int
    #: per model: responses, completion_tokens, failures, bytes (its rows' payload), oldest, newest (created_at)
    per_model: list[dict]
    #: answers waiting in the spill file because the store was locked when they arrived
    unsaved_answers: int = 0


class PruneResult(BaseModel):
    responses: int
    failures: int


def store_stats(db: sqlite3.Connection, path: Path, columns: str) -> StoreStats:
    """Counts, tokens, payload bytes and dates per model; `columns` is the store's read list (it may lack logprobs_json)."""
    per_model = [
        {"model": m, "responses": n, "completion_tokens": t or 0, "failures": f, "bytes": b or 0, "oldest": first, "newest": last}
        for m, n, t, f, b, first, last in db.execute(
            f"SELECT r.model, COUNT(*), SUM(r.completion_tokens),"
            f" (SELECT COUNT(*) FROM failures f WHERE f.model = r.model),"
            f" SUM({ROW_BYTES if 'logprobs_json' in columns else ROW_BYTES.replace('logprobs_json', 'NULL')}),"
            f" MIN(r.created_at), MAX(r.created_at)"
            f" FROM responses r GROUP BY r.model ORDER BY r.model"
        )
    ]
    spill = spill_path(path)
    unsaved = sum(1 for line in spill.open(encoding="utf-8") if '"responses"' in line) if spill.exists() else 0
    unanswered = db.execute("SELECT COUNT(DISTINCT key) FROM failures WHERE key NOT IN (SELECT key FROM responses)").fetchone()[0]
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())
    return StoreStats(
        path=str(path),
        responses=db.execute("SELECT COUNT(*) FROM responses").fetchone()[0],
        failures=db.execute("SELECT COUNT(*) FROM failures").fetchone()[0],
        failed_keys_without_answer=unanswered,
        completion_tokens=db.execute("SELECT COALESCE(SUM(completion_tokens), 0) FROM responses").fetchone()[0],
        size_bytes=size,
        per_model=per_model,
        unsaved_answers=unsaved,
    )
