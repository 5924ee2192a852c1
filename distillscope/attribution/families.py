"""Which model family a candidate belongs to, for the ICE signal (does the student claim to be T's family?).

In order: the user's `--family NAME=FAMILY`, the built-in models' table, a
family or developer name in the candidate's name or spec read by the ICE fact
library's alias scanner ("chatgpt" -> openai), a family id inside the name
("qwen2.5-coder" -> qwen). Unknown stays unknown: the ICE signal is then
skipped for that candidate, with the option to fix it, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from distillscope.errors import UserError


def parse_family_options(values: Sequence[str]) -> dict[str, str]:
    """`NAME=FAMILY` pairs; FAMILY must be a known fact-library family."""
    from distillscope.ice.claims import default_library

    known = default_library().families
    out: dict[str, str] = {}
    for value in values:
        name, sep, family = value.partition("=")
        if not sep or not name.strip() or not family.strip():
            raise UserError(f"--family '{value}' is not NAME=FAMILY", "write it like --family teacher=qwen")
        if family.strip().lower() not in known:
            raise UserError(f"--family '{value}': unknown family '{family.strip()}'", f"use one of {', '.join(sorted(known))}")
        out[name.strip()] = family.strip().lower()
    return out


def candidate_family(name: str, spec: str, overrides: dict[str, str] | None = None) -> str | None:
    from distillscope.ice.claims import default_library
    from distillscope.models.builtin import BUILTIN_MODELS

    overrides = overrides or {}
    if name in overrides:
        return overrides[name]
    if spec in overrides:
        return overrides[spec]
    model_name = spec.partition("/")[2].partition("?")[0]
    if model_name in BUILTIN_MODELS:
        return BUILTIN_MODELS[model_name].family
    library = default_library()
    for text in (name, Path(model_name).name):  # never the directories of a path: /tmp/metadata is no Meta
        for mention in library.mentions(text):
            if mention.kind == "family":
                return mention.id
            families = sorted(f for f, s in library.families.items() if s.developer == mention.id)
            if len(families) == 1:
                return families[0]
    found = [family for family in library.families if re.search(rf"(?<![a-z]){family}", name.lower())]
    return found[0] if len(found) == 1 else None
