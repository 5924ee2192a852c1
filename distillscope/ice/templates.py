"""Seed templates and identity questions for ICE fuzzing.

Templates come from the packaged YAML (written for distillscope, each marked
misleading or not) or from a user's YAML or GPTFuzz-style `id,text` CSV. A CSV
has no misleading flag, so one is derived: a template that names any model
family or developer other than the target's own plants the answer and is
misleading. The same rule marks mutants the helper writes.
"""

from __future__ import annotations

import csv
from importlib.resources import files
from pathlib import Path

from pydantic import BaseModel

from distillscope.errors import InputFileError
from distillscope.ice.facts import FactLibrary, FactSet
from distillscope.types import sha256_hex

PLACEHOLDER = "[INSERT PROMPT HERE]"


class SeedTemplate(BaseModel):
    id: str
    text: str
    misleading: bool | None = None  # None: decide from the names it mentions
    source: str = "distillscope"


class IdentityQuestion(BaseModel):
    id: str
    text: str
    category: str
    language: str


def names_other_identity(text: str, fact_set: FactSet, library: FactLibrary) -> bool:
    """Does the text name a family or developer that is not the target's own?"""
    own = library.own_developer_families(fact_set.developer) | {fact_set.family, fact_set.developer}
    return any(m.id not in own for m in library.mentions(text))


def fill(template: str, question: str) -> str:
    return template.replace(PLACEHOLDER, question)


def _from_yaml(path: Path, source: str) -> list[SeedTemplate]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        templates = [SeedTemplate(source=source, **t) for t in data["templates"]]
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise InputFileError(
            f"cannot read templates from {path}: {str(exc).splitlines()[0]}",
            "give a YAML file with a 'templates' list of {id, text, misleading} or an id,text CSV",
        ) from None
    return templates


def _from_csv(path: Path) -> list[SeedTemplate]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames or "text" not in reader.fieldnames:
                raise InputFileError(f"template CSV {path} has no 'text' column", "use GPTFuzz's id,text format")
            rows = list(reader)
    except OSError as exc:
        raise InputFileError(f"cannot read {path}: {exc.strerror}", "check the path") from None
    return [
        SeedTemplate(id=f"{path.stem}:{row.get('id') or n}", text=row["text"], source=path.name)
        for n, row in enumerate(rows, start=2)
        if row.get("text")
    ]


def load_templates(paths: list[Path] | None = None) -> list[SeedTemplate]:
    """The packaged seeds, or the given YAML/CSV files; templates without the placeholder are refused."""
    if not paths:
        packaged = Path(str(files("distillscope.data") / "ice" / "seed_templates.yaml"))
        return _from_yaml(packaged, "distillscope")
    templates: list[SeedTemplate] = []
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise InputFileError(f"template file {path} does not exist", "check the path")
        templates += _from_csv(path) if path.suffix.lower() == ".csv" else _from_yaml(path, path.name)
    missing = [t.id for t in templates if PLACEHOLDER not in t.text]
    if missing:
        raise InputFileError(
            f"{len(missing)} templates lack {PLACEHOLDER} (first: {missing[0]})", f"put {PLACEHOLDER} where the question goes"
        )
    if not templates:
        raise InputFileError("the template files hold no templates", "add at least one template")
    return templates


def identity_questions(include_naming: bool = False) -> list[IdentityQuestion]:
    """The probe suite's identity questions (EN and ZH, five fact categories).

    Questions that themselves list model names ("Are you GPT-4, Claude ...?")
    are left out by default: they plant the very names the strict score counts.
    """
    from distillscope.ice.claims import default_library
    from distillscope.probes.templates.identity import QUESTIONS

    library = default_library()
    out = []
    for category in sorted(QUESTIONS):
        for language, texts in sorted(QUESTIONS[category].items()):
            for text in texts:
                if include_naming or not library.mentions(text):
                    out.append(IdentityQuestion(id=sha256_hex(text)[:12], text=text, category=category, language=language))
    return out
