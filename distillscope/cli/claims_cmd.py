"""`distillscope claims`: who does each answer in a file say made it?"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def claims(
    file: Annotated[Path, typer.Argument(help="JSONL or CSV of responses")],
    column: Annotated[str, typer.Option("--column", help="the column holding the response text")] = "text",
    prompt_column: Annotated[Optional[str], typer.Option(help="column with the prompt, so roles it imposed are not counted")] = None,
    library: Annotated[Optional[list[Path]], typer.Option("--library", help="extra fact-set YAML files; repeatable")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="output JSONL; default FILE.claims.jsonl")] = None,
    voices: Annotated[str, typer.Option(help="voices whose claims count, of own,persona,quoted,hypothetical,reasoning")] = "own,persona",
) -> None:
    """Add who each response says it is or was made by: `claimed_families`, `claimed_developers`, and every name with its span and voice."""
    import json

    from distillscope.errors import InputFileError, UserError
    from distillscope.ice.claims import VOICES, extract_claims
    from distillscope.ice.facts import load_library
    from distillscope.paths import atomic_open, guard_outputs, require_writable_file
    from distillscope.probes.loader import read_records

    counted = tuple(v.strip() for v in voices.split(",") if v.strip())
    if not counted or any(v not in VOICES for v in counted):
        raise UserError(f"--voices '{voices}' names an unknown voice", f"choose from {', '.join(VOICES)}")
    fact_library = load_library(library)
    rows = list(read_records(file, "responses"))
    missing = [n for n, row in rows if column not in row]
    if missing:
        raise InputFileError(f"{file} line {missing[0]} has no '{column}' column", "name the response column with --column")
    out = require_writable_file(out or file.with_suffix(".claims.jsonl"), "--out")
    guard_outputs({"--out": out}, inputs={"the input FILE": file, "--library": library})  # nor a store, symlinked or not
    counts: dict[str, int] = {}
    with atomic_open(out) as handle:  # replaces an older file only once every row is written
        for _, row in rows:
            prompt = str(row.get(prompt_column) or "") if prompt_column else None
            report = extract_claims(str(row[column] or ""), prompt=prompt, library=fact_library, voices=counted)
            row = {
                **row,
                "claimed_families": report.claimed_families,
                "claimed_developers": report.claimed_developers,
                "reasoning_families": report.reasoning_families,
                "reasoning_developers": report.reasoning_developers,
                "claims": [c.model_dump(exclude={"sentence"}) for c in report.claims],
            }
            for ident in report.claimed_families:
                counts[ident] = counts.get(ident, 0) + 1
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])) or "none"
    typer.echo(f"{len(rows)} rows; families claimed: {summary}; wrote {out}", err=True)
