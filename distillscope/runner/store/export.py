"""Exporting stored answers for other tools (pandas, spreadsheets, replay)."""

from __future__ import annotations

import json
from pathlib import Path

from distillscope.paths import atomic_open, atomic_output
from distillscope.runner.store.core import ResponseStore


def export_responses(store: ResponseStore, out: Path, model: str | None = None) -> int:
    """Write answers as JSONL, or Parquet (needs the `export` extra). Returns the count.

    The model spec is normalised the same way the store keys it, so
    `--model builtin/gemma-3-270m` matches however the spec was written.
    """
    if model:
        from distillscope.models.registry import load_model

        model = load_model(model).identity

    records = store.iter_responses(model=model)
    if out.suffix.lower() == ".parquet":
        from distillscope.extras import require

        pandas = require("pandas", purpose="Parquet export")
        require("pyarrow", purpose="Parquet export")
        frame = pandas.DataFrame.from_records(
            [{**r, "messages": json.dumps(r["messages"], ensure_ascii=False), "sampling": json.dumps(r["sampling"])} for r in records]
        )
        with atomic_output(out) as temporary:
            frame.to_parquet(temporary, index=False)
        return len(frame)
    count = 0
    with atomic_open(out) as handle:  # an earlier export is replaced only by a complete one
        for record in records:
            handle.write(json.dumps({**record, "response": record["text"]}, ensure_ascii=False) + "\n")
            count += 1
    return count
