"""`store salvage`: every answer a damaged store still holds, into a fresh store or a JSONL file.

Answers are paid for; a store that SQLite calls "malformed" (a disk error, a
copy cut short, a file overwritten in part) still holds most of them. The
damaged file is never written: it is copied (with its WAL) to a temporary
directory, then read twice. First through SQLite, row by row in rowid
chunks, a chunk that fails retried one row at a time, so one bad page costs
only its rows. Then page by page (`pages.py`), which reaches rows
behind a damaged header, schema or interior page. Rows are joined by store
key (answers) and id (failures) and written to a new store (or the spill
file's JSONL format, one `{"table", "row"}` object a line), with counts.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

from distillscope.errors import UserError
from distillscope.paths import atomic_open, atomic_output, guard_outputs, require_writable_file
from distillscope.runner.store.pages import PageScan, table_rows
from distillscope.runner.store.rows import FAILURE_COLUMNS, INSERT_COLUMNS, SCHEMA, SCHEMA_VERSION

RESPONSE_FIELDS = (*INSERT_COLUMNS, "logprobs_json")
FAILURE_FIELDS = ("id", *FAILURE_COLUMNS)
MAX_ROWID_SCANNED = 20_000_000  # a damaged max(rowid) must not start an endless walk; the page scan reads past it
TEXT_FIELDS = ("key", "model", "prompt_id", "input_json", "rendered_input", "sampling_json", "text", "created_at")


class SalvageReport(BaseModel):
    """What was recovered, and how much could not be read."""

    source: str
    out: str
    responses: int = 0
    failures: int = 0
    from_sqlite: int = 0  # rows SQLite still read
    from_pages: int = 0  # rows only the page scan found
    unreadable_rows: int = 0  # rowids SQLite failed on
    unreadable_pages: int = 0  # leaf pages or cells the page scan could not parse
    sqlite_opened: bool = False


def salvage_store(damaged: Path, out: Path) -> SalvageReport:
    """Copy every readable answer and failure of `damaged` into `out` (.sqlite/.db: a new store; .jsonl)."""

    damaged = Path(damaged).expanduser()
    if not damaged.is_file():
        raise UserError(f"there is no store file at {damaged}", "give the damaged store's path")
    suffix = out.suffix.lower()
    if suffix not in (".sqlite", ".db", ".jsonl"):
        raise UserError(f"cannot salvage into '{out.suffix}' files", "name --out NEW.sqlite (a fresh store) or NEW.jsonl")
    out = require_writable_file(out, "--out")
    if suffix != ".jsonl" and out.exists():
        raise UserError(f"--out {out} exists; salvage writes a fresh store", "give --out a new path (then use it as --store)")
    guard_outputs({"--out": out}, store=damaged)
    report = SalvageReport(source=str(damaged), out=str(out))
    responses: dict[str, dict] = {}
    failures: dict[int, dict] = {}
    with tempfile.TemporaryDirectory(prefix="distillscope-salvage-") as scratch:
        copy = Path(scratch) / "store.sqlite"
        shutil.copyfile(damaged, copy)
        wal = damaged.with_name(damaged.name + "-wal")
        if wal.is_file():
            shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
        _read_with_sqlite(copy, responses, failures, report)
        report.from_sqlite = len(responses) + len(failures)
        scan = PageScan()
        for rowid, values in table_rows(copy.read_bytes(), scan):
            if (row := as_response(values)) is not None:
                responses.setdefault(row["key"], row)
            elif (row := as_failure(rowid, values)) is not None:
                failures.setdefault(row["id"], row)
        report.unreadable_pages = scan.unreadable_pages
    report.from_pages = len(responses) + len(failures) - report.from_sqlite
    report.responses, report.failures = len(responses), len(failures)
    _write(out, list(responses.values()), [failures[i] for i in sorted(failures)])
    return report


def _read_with_sqlite(copy: Path, responses: dict[str, dict], failures: dict[int, dict], report: SalvageReport) -> None:
    try:
        db = sqlite3.connect(copy, isolation_level=None)
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError:
        return  # the header or schema is gone: the page scan does the work
    report.sqlite_opened = True
    try:
        for table, into in (("responses", responses), ("failures", failures)):
            for rowid, values, columns in _rows(db, table, report):
                record = dict(zip(columns, values))
                if table == "responses":
                    if (row := as_response([record.get(f) for f in RESPONSE_FIELDS])) is not None:
                        into.setdefault(row["key"], row)
                elif (row := as_failure(rowid, [record.get(f) for f in FAILURE_FIELDS])) is not None:
                    into.setdefault(row["id"], row)
    finally:
        db.close()


def _rows(db: sqlite3.Connection, table: str, report: SalvageReport, chunk: int = 500) -> Iterator[tuple[int, list, list[str]]]:
    """Every row SQLite can read, in rowid chunks; a chunk that fails is read one row at a time."""
    try:
        columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
        highest = min(db.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0, MAX_ROWID_SCANNED)
    except sqlite3.DatabaseError:
        return
    if not columns:
        return
    select = f"SELECT rowid, {', '.join(columns)} FROM {table} WHERE rowid BETWEEN ? AND ?"
    for low in range(1, highest + 1, chunk):
        try:
            found = db.execute(select, (low, low + chunk - 1)).fetchall()
        except sqlite3.DatabaseError:
            found = []
            for rowid in range(low, min(low + chunk, highest + 1)):
                try:
                    found += db.execute(select, (rowid, rowid)).fetchall()
                except sqlite3.DatabaseError:
                    report.unreadable_rows += 1
        for row in found:
            yield row[0], list(row[1:]), columns


def as_response(values: list) -> dict | None:
    """A `responses` row (13 values in a store from before log-probabilities, 14 after), or None for anything else."""
    if len(values) not in (13, 14):
        return None
    row = dict(zip(RESPONSE_FIELDS, [*values, None][:14]))
    if not all(isinstance(row[f], str) for f in TEXT_FIELDS) or not isinstance(row["sample_index"], int):
        return None
    try:
        if not isinstance(json.loads(row["input_json"]), list) or not isinstance(json.loads(row["sampling_json"]), dict):
            return None
    except ValueError:
        return None
    return row


def as_failure(rowid: int, values: list) -> dict | None:
    """A `failures` row (its id is the rowid), or None."""
    if len(values) != 9:
        return None
    row = dict(zip(FAILURE_FIELDS, values))
    row["id"] = rowid
    texts = ("key", "model", "prompt_id", "error_type", "message", "created_at")
    if not all(isinstance(row[f], str) for f in texts) or not all(isinstance(row[f], int) for f in ("sample_index", "attempts")):
        return None
    return row


def _write(out: Path, responses: list[dict], failures: list[dict]) -> None:

    if out.suffix.lower() == ".jsonl":  # the spill file's format: `{"table", "row"}` per line
        with atomic_open(out) as handle:
            for table, rows in (("responses", responses), ("failures", failures)):
                for row in rows:
                    kept = {k: v for k, v in row.items() if k != "id"}
                    handle.write(json.dumps({"table": table, "row": kept}, ensure_ascii=False) + "\n")
        return
    with atomic_output(out) as temporary:
        db = sqlite3.connect(temporary, isolation_level=None)
        try:
            db.executescript(SCHEMA)
            db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
            db.execute("BEGIN")
            db.executemany(
                f"INSERT OR IGNORE INTO responses ({', '.join(RESPONSE_FIELDS)}) VALUES ({','.join('?' * len(RESPONSE_FIELDS))})",
                [tuple(r[f] for f in RESPONSE_FIELDS) for r in responses],
            )
            db.executemany(
                f"INSERT INTO failures ({', '.join(FAILURE_COLUMNS)}) VALUES ({','.join('?' * len(FAILURE_COLUMNS))})",
                [tuple(r[f] for f in FAILURE_COLUMNS) for r in failures],
            )
            db.execute("COMMIT")
            db.execute("PRAGMA journal_mode=WAL")
        finally:
            db.close()
