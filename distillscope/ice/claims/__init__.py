"""Who does a response say it is, or who made it? A deterministic, auditable reader.

The strict ICE score (METHODS.md section 3) asks whether a model claims to be
another family. This extractor reads English and Chinese with rules a reviewer
can check (`en.py`, `zh.py`): a family or developer name counts as a
claim when a first-person identity frame reaches it ("I am ...", "As an AI
developed by ..., I", "my parent company is ...", "我是...", "我所在的组织，即...",
"...开发了我"). Every name found gets a status (claim, negated, mention) and,
for claims, a voice (voice.py): the model's own, a persona (a role label in the
answer or a role the prompt imposed), quoted, hypothetical, or inside a
reasoning trace. As in the paper, a claim counts in any persona; claims that
are only quoted, hypothetical or thought aloud in a reasoning trace do not
count by default (`voices=` changes that).

Linear time: one pass finds the names, and each name is judged on a bounded
window of its clause (window.py), so `"I am ChatGPT " * 10000` costs
what 10,000 short answers cost.
"""

from __future__ import annotations

import bisect
import re
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel

from distillscope.ice.claims import en, zh
from distillscope.ice.claims.imposed import imposed_by_prompt
from distillscope.ice.claims.window import ResponseReader, Status, classify, normalize
from distillscope.ice.facts import FactLibrary, load_library
from distillscope.ice.voice import Voices, split_voices

__all__ = [
    "COUNTED_VOICES",
    "VOICES",
    "Claim",
    "ClaimReport",
    "Status",
    "Voice",
    "claims_other_identity",
    "default_library",
    "extract_claims",
    "imposed_identities",
    "normalize",
]

Voice = Literal["own", "persona", "quoted", "hypothetical", "reasoning"]
VOICES: tuple[str, ...] = ("own", "persona", "quoted", "hypothetical", "reasoning")
COUNTED_VOICES: tuple[str, ...] = ("own", "persona")  # the paper: any persona; not quotes, hypotheticals or thinking aloud

_DEFINITION = re.compile(
    r"^[\s*_:：]*(?:(?:an?|the|is|was|developed|created|made|built|trained|released|launched|by|from)\b|是(?!的)|由|一个|一款|一种)",
    re.IGNORECASE,
)  # "ChatGPT: a chatbot by OpenAI" defines; it does not speak


class Claim(BaseModel):
    kind: Literal["family", "developer"]
    id: str
    alias: str
    status: Status
    voice: Voice | None = None  # set for claims
    persona: str | None = None  # the role label ("GPT", "DAN", "🔓JAILBREAK") or "prompt" for a role the prompt imposed
    start: int
    end: int
    sentence: str

    def counts(self, voices: tuple[str, ...] | frozenset[str] = COUNTED_VOICES) -> bool:
        return self.status == "claim" and self.voice in voices


class ClaimReport(BaseModel):
    claimed_families: list[str]  # claims in a counted voice
    claimed_developers: list[str]
    reasoning_families: list[str] = []  # claimed only inside a reasoning trace
    reasoning_developers: list[str] = []
    counted_voices: list[str] = list(COUNTED_VOICES)
    claims: list[Claim]

    def claimed(self) -> set[str]:
        return {*self.claimed_families, *self.claimed_developers}


@lru_cache(maxsize=1)
def default_library() -> FactLibrary:
    return load_library()


def _drop_contradicted_labels(claims: list[Claim], voices: Voices) -> None:
    """ "GPT: I am Qwen, made by Alibaba Cloud." speaks under a label but says who it is: the label claims nothing.

    `claims` is sorted by start; each section's body is found by bisection, so this stays linear.
    """
    starts = [c.start for c in claims]
    for claim in claims:
        if claim.voice != "persona" or claim.status != "claim":
            continue
        section = voices.at(claim.start)
        if section.label_end is None or not (section.start <= claim.start < section.label_end):
            continue
        lo, hi = bisect.bisect_left(starts, section.label_end), bisect.bisect_left(starts, section.end)
        body = {c.id for c in claims[lo:hi] if c.status == "claim" and c.voice in ("own", "persona")}
        if body and claim.id not in body:
            claim.status, claim.voice, claim.persona = "mention", None, None


def _persona_claims(reader: ResponseReader, voices: Voices, library: FactLibrary) -> tuple[list[Claim], set[int]]:
    """A persona label that is itself a family ("[GPT]:", "ChatGPT:") speaks as that family."""
    claims, inside = [], set()
    for section in voices.sections:
        if section.voice != "persona" or section.label_end is None:
            continue
        label = reader.text[section.start : section.label_end]
        body = reader.text[section.label_end : min(section.end, section.label_end + 400)]
        bracketed = bool(re.match(r"^[ \t>*_]*[\[(【（]", label))
        speaks = bracketed or en.FIRST_PERSON.search(body) or zh.SELF_WORD.search(body) or not _DEFINITION.match(body)
        lo = bisect.bisect_left(reader.mention_starts, section.start)
        for index in range(lo, len(reader.mentions)):
            mention = reader.mentions[index]
            if mention.start >= section.label_end:
                break
            inside.add(index)
            if speaks:
                claims.append(
                    Claim(
                        kind=mention.kind,
                        id=mention.id,
                        alias=mention.alias,
                        status="claim",
                        voice="persona",
                        persona=section.persona,
                        start=mention.start,
                        end=mention.end,
                        sentence=label.strip()[:300],
                    )
                )
    return claims, inside


def imposed_identities(prompt: str, library: FactLibrary | None = None) -> set[str]:
    """Families and developers a prompt tells the model it is ("You are ChatGPT", "Hello ChatGPT", "扮演Claude")."""
    return imposed_by_prompt(prompt, library or default_library())


def extract_claims(
    response: str, prompt: str | None = None, library: FactLibrary | None = None, voices: tuple[str, ...] = COUNTED_VOICES
) -> ClaimReport:
    """Every family or developer name in the response, with status, voice and span; the claimed ids in `voices`.

    Give the prompt (the filled template) so that claims of a role it imposed are marked as persona voice.
    """
    library = library or default_library()
    reader = ResponseReader(response or "", library)
    sections = split_voices(reader.text)
    imposed = imposed_identities(prompt, library) if prompt else set()
    claims, inside_labels = _persona_claims(reader, sections, library)
    anchor: tuple[int, int] | None = None  # (clause start, end) of the last own claim, a frame for the names after it
    for index, mention in enumerate(reader.mentions):
        if index in inside_labels:
            continue
        clause_start, clause_end = reader.clause(mention.start)
        status, hint = classify(reader, index, anchor[1] if anchor and anchor[0] == clause_start else None)
        anchor = (clause_start, mention.end) if status == "claim" and hint is None else anchor
        voice: Voice | None = None
        persona: str | None = None
        if status == "claim":
            section = sections.at(mention.start)
            if section.voice == "reasoning":
                voice = "reasoning"
            elif hint:
                voice = hint
            elif section.voice == "persona":
                voice, persona = "persona", section.persona
            elif mention.id in imposed:
                voice, persona = "persona", "prompt"
            else:
                voice = "own"
        claims.append(
            Claim(
                kind=mention.kind,
                id=mention.id,
                alias=mention.alias,
                status=status,
                voice=voice,
                persona=persona,
                start=mention.start,
                end=mention.end,
                sentence=reader.text[clause_start : min(clause_end, clause_start + 300)].strip(),
            )
        )
    claims.sort(key=lambda c: c.start)
    _drop_contradicted_labels(claims, sections)
    counted = frozenset(voices)
    ids = lambda kind, pick: sorted({c.id for c in claims if c.kind == kind and pick(c)})  # noqa: E731
    families, developers = ids("family", lambda c: c.counts(counted)), ids("developer", lambda c: c.counts(counted))
    in_trace = lambda c: c.status == "claim" and c.voice == "reasoning"  # noqa: E731
    return ClaimReport(
        claimed_families=families,
        claimed_developers=developers,
        reasoning_families=[i for i in ids("family", in_trace) if i not in families],
        reasoning_developers=[i for i in ids("developer", in_trace) if i not in developers],
        counted_voices=list(voices),
        claims=claims,
    )


def claims_other_identity(
    report: ClaimReport, own_family: str, own_developer: str, library: FactLibrary, strict_families: set[str] | None = None
) -> bool:
    """True when the response claims a family (or developer) that is not the target's own.

    Families of the target's own developer are its own. With `strict_families`
    (the paper: {"openai", "anthropic"}) only claims to those families or their
    developers count.
    """
    own_families = library.own_developer_families(own_developer) | {own_family}
    other_families = {f for f in report.claimed_families if f not in own_families}
    other_developers = {d for d in report.claimed_developers if d != own_developer}
    if strict_families is not None:
        developers_of = {library.families[f].developer for f in strict_families if f in library.families}
        return bool(other_families & strict_families or other_developers & (strict_families | developers_of))
    return bool(other_families or other_developers)
