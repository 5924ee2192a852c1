"""Checking a user's suite file before any model is asked: `distillscope probes validate`.

A malformed line fails with its line number (the loader's job); duplicates,
exact or near (MinHash), are listed and kept, since only the user knows
whether they were meant.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from pydantic import BaseModel


class Duplicate(BaseModel):
    line: int
    twin: int  # the line of the earlier prompt it repeats
    kind: str  # "exact" or "near"


class SuiteCheck(BaseModel):
    prompts: int
    categories: dict[str, int]  # category -> prompts, sorted by name
    duplicates: list[Duplicate]


def check_suite_file(path: Path) -> SuiteCheck:
    from distillscope.probes.loader import load_numbered_prompts
    from distillscope.probes.suite import find_duplicates

    numbered = load_numbered_prompts(path)
    return SuiteCheck(
        prompts=len(numbered),
        categories=dict(sorted(Counter(p.category for _, p in numbered).items())),
        duplicates=[Duplicate(line=line, twin=twin, kind=kind) for line, twin, kind in find_duplicates(numbered)],
    )
