"""The attribution signals by name: what each measures, which way is closer, how it is computed; plugins too.

`attribute --signals`, the result tables and the ranking read this one table.
A package adds a per-prompt signal with an entry point in group
`distillscope.attribution_signals` naming a callable `(bank, x, t)` that
returns {prompt id: closeness of model X's answer to candidate T's}, given the
`attribution.signals.SignalBank` (answers, embedder, seed); optional attributes
`description` and `higher_is_closer` (default True) say what it is. Its margin
against the base, interval and rank then come from the same code as the
built-ins'. Importing this module imports no signal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from distillscope.plugins import Registry


@dataclass(frozen=True)
class SignalInfo:
    name: str
    description: str
    #: whether a larger value means closer (an adversary's advantage and MMD² are lower when closer)
    higher_is_closer: bool
    #: per_prompt: one closeness per prompt, so a paired margin over prompts; adversary: per prompt too, from a
    #: cross-fitted adversary refitted on several splits; corpus: one number per comparison (no per-prompt margin)
    kind: Literal["per_prompt", "adversary", "corpus"]


BUILTIN: dict[str, SignalInfo] = {
    s.name: s
    for s in (
        SignalInfo("similarity", "mean embedding cosine of S's and T's answers to the same prompt", True, "per_prompt"),
        SignalInfo("style", "advantage of a stylometric logistic adversary telling S from T (cross-fitted by prompt)", False, "adversary"),
        SignalInfo("embed", "advantage of an embedding logistic adversary telling S from T (cross-fitted by prompt)", False, "adversary"),
        SignalInfo("mmd", "paired MMD² between S's and T's answer embeddings", False, "corpus"),
        SignalInfo("ice", "share of S's answers whose identity claims name T's family or developer", True, "per_prompt"),
        SignalInfo("likelihood", "teacher-forced mean log-probability per token of S's answers under T", True, "per_prompt"),
        SignalInfo("pos", "overlap of part-of-speech template profiles (centred cosine of document frequencies)", True, "corpus"),
    )
}

#: name -> how it is computed (the built-ins are `SignalBank` methods and the POS template profiles)
SIGNALS: Registry[Any] = Registry(
    "attribution_signals",
    "attribution signal",
    {
        "similarity": "distillscope.attribution.signals:SignalBank._similarity",
        "style": "distillscope.attribution.signals:SignalBank._style",
        "embed": "distillscope.attribution.signals:SignalBank._embed",
        "mmd": "distillscope.attribution.signals:SignalBank.mmd",
        "ice": "distillscope.attribution.signals:SignalBank._ice",
        "likelihood": "distillscope.attribution.signals:SignalBank._likelihood",
        "pos": "distillscope.attribution.pos_templates:TemplateProfiles",
    },
    where="docs/attribution.md",
)


def signal_info(name: str) -> SignalInfo:
    """A signal's listing; a plugin's is read off its object (imported on first use)."""
    if name in BUILTIN:
        return BUILTIN[name]
    made = SIGNALS.load(name)
    doc = (getattr(made, "__doc__", "") or "").strip().splitlines()
    description = str(getattr(made, "description", "") or (doc[0] if doc else name))
    return SignalInfo(name, description, bool(getattr(made, "higher_is_closer", True)), "per_prompt")


def is_per_prompt(name: str) -> bool:
    """One closeness per prompt (built-in per-prompt signals, the adversaries, every plugin signal)."""
    return BUILTIN[name].kind != "corpus" if name in BUILTIN else name in SIGNALS


def signal_names() -> tuple[str, ...]:
    return SIGNALS.names()
