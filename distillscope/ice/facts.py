"""Identity fact sets: who made a model family, and the names a response may use.

One YAML file per family (`distillscope/data/facts/*.yaml`) plus
`developers.yaml`. The same library feeds three things: the true facts the
conflict judge compares an answer with, the names the claim extractor looks
for, and the definition of "another family" in the strict score. Users add
families with their own YAML files (same schema) without touching the package.
"""

from __future__ import annotations

import re
from functools import cached_property
from importlib.resources import files
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from distillscope.errors import InputFileError, UserError

FactCategory = Literal["team", "cooperation", "industry", "technology", "geography"]
FACT_CATEGORIES: tuple[str, ...] = ("team", "cooperation", "industry", "technology", "geography")


class Names(BaseModel):
    en: list[str] = Field(default_factory=list)
    zh: list[str] = Field(default_factory=list)

    def all(self) -> list[str]:
        return list(dict.fromkeys([*self.en, *self.zh]))


class Fact(BaseModel):
    category: FactCategory
    en: str
    zh: str | None = None

    def text(self, language: str) -> str:
        return self.zh if language == "zh" and self.zh else self.en


class FactSet(BaseModel):
    """The true identity of one model family."""

    family: str
    developer: str
    display: str = ""
    names: Names
    facts: list[Fact]

    def facts_for(self, language: str = "en") -> list[str]:
        return [f"[{f.category}] {f.text(language)}" for f in self.facts]


MentionKind = Literal["family", "developer"]


class Mention(BaseModel):
    kind: MentionKind
    id: str
    alias: str
    start: int
    end: int


class FactLibrary(BaseModel):
    families: dict[str, FactSet]
    developers: dict[str, Names]

    def get(self, family: str) -> FactSet:
        try:
            return self.families[family.lower()]
        except KeyError:
            raise UserError(
                f"no fact set for '{family}' (known: {', '.join(sorted(self.families))})",
                "pick a known family or pass a YAML fact set file with --facts",
            ) from None

    def own_developer_families(self, developer: str) -> set[str]:
        """Families that share a developer count as the model's own (Gemini is no false claim for Gemma)."""
        return {f.family for f in self.families.values() if f.developer == developer}

    @cached_property
    def _scanner(self) -> _AliasScanner:
        entries: list[tuple[str, MentionKind, str]] = []  # (alias, kind, id)
        for family in self.families.values():
            entries += [(alias, "family", family.family) for alias in family.names.all()]
        for developer, names in self.developers.items():
            entries += [(alias, "developer", developer) for alias in names.all()]
        return _AliasScanner(entries)

    def mentions(self, text: str) -> list[Mention]:
        """Every family or developer name in the text, longest match first, no overlaps (one linear scan)."""
        return self._scanner.scan(text)


_ASCII_LOWER = str.maketrans({chr(c): chr(c + 32) for c in range(65, 91)})
_VERSION = (
    r"(?:[-\s]?[vr]?\d[\w.]*)?(?:[-\s](?:turbo|preview|mini|nano|instruct|chat|pro|max|plus|sonnet|opus|haiku|latest|base|large"
    r"|small|medium|lite|flash|ultra|coder|vision|omni|\d[\w.]*)(?![a-z]))*(?![a-z])"
)
_VERSION_RE = re.compile(_VERSION)
_CJK = re.compile(r"[\u4e00-\u9fff]")


class _AliasScanner:
    """All aliases in one regex over the ASCII-lowercased text, so the regex engine can skip on the first letter.

    ASCII names match as whole words with version suffixes (Qwen2.5, GPT-4o); aliases of four characters
    or fewer must match their case exactly (Phi, Yi and Meta are not read into ordinary words).
    """

    def __init__(self, entries: list[tuple[str, MentionKind, str]]) -> None:
        entries = sorted(entries, key=lambda e: -len(e[0]))  # longest alias wins: "Google DeepMind" before "Google"
        self.by_first: dict[str, list[tuple[str, str, MentionKind, str, bool]]] = {}
        parts = []
        for alias, kind, ident in entries:
            low = alias.translate(_ASCII_LOWER)
            cjk = bool(_CJK.search(alias))
            self.by_first.setdefault(low[0], []).append((low, alias, kind, ident, cjk))
            parts.append(re.escape(low) + ("" if cjk else _VERSION))
        self.pattern = re.compile("|".join(parts))

    def scan(self, text: str) -> list[Mention]:
        low = text.translate(_ASCII_LOWER)
        found: list[Mention] = []
        position = 0
        while True:
            match = self.pattern.search(low, position)
            if match is None:
                return found
            mention = self._resolve(text, low, match.start(), match.end())
            if mention is None:
                position = match.start() + 1
                continue
            found.append(mention)
            position = mention.end

    def _resolve(self, text: str, low: str, start: int, end: int) -> Mention | None:
        ascii_boundary = start == 0 or not (low[start - 1].isascii() and low[start - 1].isalnum())
        for alias_low, alias, kind, ident, cjk in self.by_first.get(low[start], ()):
            if not low.startswith(alias_low, start):
                continue
            if not cjk and not ascii_boundary:
                continue
            if len(alias) <= 4 and not cjk and not text.startswith(alias, start):
                continue
            stop = start + len(alias)
            if not cjk:
                suffix = _VERSION_RE.match(low, stop)
                if suffix is None:
                    continue
                stop = suffix.end()
            return Mention(kind=kind, id=ident, alias=alias, start=start, end=stop)
        return None


def _read_yaml(path: Path) -> dict:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputFileError(f"cannot read fact file {path}: {exc}".splitlines()[0], "fix the YAML or the path") from None
    if not isinstance(data, dict):
        raise InputFileError(f"fact file {path} is not a YAML mapping", "see distillscope/data/facts/qwen.yaml for the schema")
    return data


def _packaged_files() -> list[Path]:
    return sorted(Path(str(files("distillscope.data").joinpath("facts"))).glob("*.yaml"))


def load_library(extra: list[Path] | None = None) -> FactLibrary:
    """The packaged families plus any user files (a file may hold `developers:` or one family)."""
    families: dict[str, FactSet] = {}
    developers: dict[str, Names] = {}
    for path in [*_packaged_files(), *(extra or [])]:
        data = _read_yaml(Path(path))
        try:
            for ident, names in (data.pop("developers", None) or {}).items():
                developers[str(ident)] = Names.model_validate(names)
            if data:
                fact_set = FactSet.model_validate(data)
                families[fact_set.family.lower()] = fact_set
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise InputFileError(
                f"fact file {path}: {where}: {first['msg']}", "see distillscope/data/facts/qwen.yaml for the schema"
            ) from None
    for fact_set in families.values():
        developers.setdefault(fact_set.developer, Names())
    return FactLibrary(families=families, developers=developers)


def resolve_fact_set(name_or_path: str, library: FactLibrary) -> tuple[FactSet, FactLibrary]:
    """A packaged family id (`qwen`) or a user's YAML file, which then joins the library."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml", ".json") or path.exists():
        if not path.exists():
            raise InputFileError(f"fact file {path} does not exist", "check the path, or name a packaged family like 'qwen'")
        library = load_library([path])
        family = FactSet.model_validate(_read_yaml(path)).family
        return library.get(family), library
    return library.get(name_or_path), library
