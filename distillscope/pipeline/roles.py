"""Who plays which part: a model's family, and the third-family judge of the pairwise adversary."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from distillscope.audit.config import AuditConfig


def family_of(spec: str, facts: dict[str, str]) -> str | None:
    """A spec's family id: from the audit's facts map, else from the built-in table; None when unknown."""
    from distillscope.models.registry import backend_of
    from distillscope.models.spec import ModelSpec

    if spec in facts:
        return None if facts[spec].endswith((".yaml", ".yml", ".json")) else facts[spec]
    parsed = ModelSpec.parse(spec)
    backend = backend_of(parsed.provider)
    return backend.family(parsed) if backend is not None else None


def pick_pairwise_judge(config: "AuditConfig", student: str) -> str | None:
    """The configured judge for this student, else the judge if it is a third family, else a built-in of a third family."""
    from distillscope.models.builtin import BUILTIN_MODELS

    if student in config.pairwise_judges:
        return config.pairwise_judges[student]
    taken = {family_of(config.teacher, config.facts) if config.teacher else None, family_of(student, config.facts)}
    if config.judge and family_of(config.judge, config.facts) not in taken | {None}:
        return config.judge
    candidates = sorted(BUILTIN_MODELS.values(), key=lambda m: m.kind != "instruct")  # instruct models first
    for info in candidates:
        if info.family not in taken:
            return f"builtin/{info.name}"
    return None
