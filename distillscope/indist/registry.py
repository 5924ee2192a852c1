"""The adversaries by name: what each is, whether it learns, how to build it; plugins through entry points.

`indist --adversaries`, the audit's `adversaries:`, `distill --adversaries`,
the CLI help and the checks all read this one table. A learned adversary is
fitted on the train split and scored on the test split; the pairwise judge and
the MMD test have their own code paths in `indist.evaluate`. A package adds a
learned adversary with an entry point in group `distillscope.adversaries`
naming a callable that takes the keyword arguments `embedder` (the run's text
embedder) and `options` (a dict: `epochs`, `seed`) and returns an
`indist.adversaries.Adversary` (fit on labelled texts, log-odds on new ones).
Importing this module imports no adversary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from distillscope.errors import UserError
from distillscope.plugins import Registry


@dataclass(frozen=True)
class AdversaryInfo:
    name: str
    help: str
    #: learned: fitted on the train split, scored on the test one (every plugin adversary is one); judge: the
    #: pairwise judge (an advantage bound too); test: the MMD two-sample test (a p-value, outside the class ε)
    kind: Literal["learned", "judge", "test"]


BUILTIN: dict[str, AdversaryInfo] = {
    a.name: a
    for a in (
        AdversaryInfo("style", "stylometric features", "learned"),
        AdversaryInfo("embed", "sentence embeddings", "learned"),
        AdversaryInfo("encoder", "a fine-tuned encoder, torch", "learned"),
        AdversaryInfo("judge", "an LLM of a third family", "judge"),
        AdversaryInfo("mmd", "MMD two-sample test", "test"),
    )
}


def style_adversary(embedder: Any, options: dict) -> Any:
    from distillscope.indist.adversaries import StyleAdversary

    return StyleAdversary()


def embed_adversary(embedder: Any, options: dict) -> Any:
    from distillscope.indist.adversaries import EmbeddingAdversary

    return EmbeddingAdversary(embedder)


def encoder_adversary(embedder: Any, options: dict) -> Any:
    from distillscope.indist.encoder import EncoderAdversary

    return EncoderAdversary(**options)


#: name -> how to run it: a learned adversary's factory; the judge's and the MMD test's functions
ADVERSARIES: Registry[Any] = Registry(
    "adversaries",
    "adversary",
    {
        "style": "distillscope.indist.registry:style_adversary",
        "embed": "distillscope.indist.registry:embed_adversary",
        "encoder": "distillscope.indist.registry:encoder_adversary",
        "judge": "distillscope.indist.pairwise:pairwise_judge",
        "mmd": "distillscope.indist.mmd:mmd_test",
    },
    where="docs/indistinguishability.md",
)


def is_learned(name: str) -> bool:
    """Fitted on the train split (a plugin adversary always is); False for the judge, the MMD test and unknown names."""
    return BUILTIN[name].kind == "learned" if name in BUILTIN else name in ADVERSARIES


def in_class(name: str) -> bool:
    """Whether the adversary gives an advantage bound, so that it counts in the class ε and its correction."""
    return is_learned(name) or (name in BUILTIN and BUILTIN[name].kind == "judge")


def learned_names() -> tuple[str, ...]:
    return tuple(name for name in ADVERSARIES.names() if is_learned(name))


def check_adversaries(names: Sequence[str], learned_only: bool = False, fix: str = "") -> None:
    """Refuse an empty list, an unknown name (naming the closest) or, where only learned ones run, any other."""
    known = learned_names() if learned_only else ADVERSARIES.names()
    unknown = [a for a in names if a not in known]
    if unknown or not names:
        import difflib

        close = difflib.get_close_matches(unknown[0], known, n=1, cutoff=0.6) if unknown else []
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise UserError(f"unknown adversary '{', '.join(unknown) or names}'{hint}", f"choose from {','.join(known)}{fix}")


def make_adversary(name: str, embedder: Any, options: dict) -> Any:
    """A fresh learned adversary; its `name` is the registry's, so results are keyed by what the user asked for."""
    if not is_learned(name):
        raise UserError(f"'{name}' is not a learned adversary", f"choose from {','.join(learned_names())}")
    adversary = ADVERSARIES.load(name)(embedder=embedder, options=dict(options))
    if getattr(adversary, "name", None) != name:
        adversary.name = name
    return adversary


def help_text(learned_only: bool = False) -> str:
    """The CLI help's list, from the built-ins alone (reading the installed plugins would slow `--help`)."""
    listed = [f"{n} ({a.help})" for n, a in BUILTIN.items() if a.kind == "learned" or not learned_only]
    return f"comma-separated, of: {', '.join(listed)}; or an installed plugin's"
